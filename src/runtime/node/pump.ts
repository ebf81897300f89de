import type { FileNode, FileStorage } from "../../wasi/index.js";

/** Chunks of the native bulk engine: big enough that the per-call costs vanish, small enough for a flat memory profile. */
export const CHUNK = 1 << 20;

/** Byte equality for the read-back check by `Buffer.equals` (not secret-dependent timing: both sides are the user's own data). */
export const nativeEqual = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

/**
 * Streams `input` through `transform` chunk by chunk (synchronous I/O, bounded memory), writing
 * what it returns to `output`.
 */
export function pump(input: FileNode, transform: (chunk: Uint8Array) => Uint8Array | undefined, output?: FileNode): void {
  const src = input.open({ read: true, write: false });
  const dst: FileStorage | undefined = output?.open({ read: false, write: true });
  // Small files are the common case in a batch: do not allocate (and wipe) 1 MiB for 10 KiB.
  const buf = new Uint8Array(Math.max(1, Math.min(CHUNK, src.size())));
  let used = 0;
  try {
    dst?.truncate(0);
    let at = 0;
    for (;;) {
      const n = src.read(buf, at);
      if (n === 0) break;
      used = Math.max(used, n);
      const out = transform(buf.subarray(0, n));
      if (out !== undefined && out.length > 0) dst?.write(out, at);
      at += n;
    }
  } finally {
    buf.fill(0, 0, used);
    src.close();
    dst?.close();
  }
}

/** Fills `into` from `from` at `position`; false if it ends first or cannot be read. */
export function readFully(from: Pick<FileStorage, "read">, into: Uint8Array, position: number): boolean {
  try {
    for (let done = 0; done < into.length; ) {
      const n = from.read(into.subarray(done), position + done);
      if (n === 0) return false;
      done += n;
    }
    return true;
  } catch {
    return false;
  }
}

/** Chunks in flight on the thread pool at most (`ChunkWriter`): buffered writes, so two keep up (four measured no better). */
export const WRITES_IN_FLIGHT = 2;

/**
 * Writes chunks to `dst`, in the background where it can (`writeBehind`: a file on the disk, whose
 * write calls then cost this thread nothing), else in this thread. `written` sees each chunk once
 * it is written, in the order they were given. A chunk must stay unchanged until `written` has
 * seen it.
 */
export class ChunkWriter {
  private readonly inFlight: { done: Promise<void>; chunk: Uint8Array; position: number }[] = [];

  constructor(
    private readonly dst: FileStorage,
    private readonly written?: (chunk: Uint8Array, position: number) => void,
  ) {}

  async write(chunk: Uint8Array, position: number): Promise<void> {
    if (this.dst.writeBehind === undefined) {
      this.dst.write(chunk, position);
      this.written?.(chunk, position);
      return;
    }
    const done = this.dst.writeBehind(chunk, position);
    done.catch(() => undefined); // seen by the next() that takes it, or by settle()
    this.inFlight.push({ done, chunk, position });
    if (this.inFlight.length >= WRITES_IN_FLIGHT) await this.next();
  }

  /** Every write done (the first failure thrown), and seen by `written`. */
  async drain(): Promise<void> {
    while (this.inFlight.length > 0) await this.next();
  }

  /** Every write ended, whatever it gave (before closing after a failure). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.inFlight.splice(0).map((w) => w.done));
  }

  private async next(): Promise<void> {
    const w = this.inFlight.shift();
    if (w === undefined) return;
    await w.done;
    this.written?.(w.chunk, w.position);
  }
}

/** `pump` with the output written by a ChunkWriter: in the background where it can, `written` seeing each chunk in order once it is written. */
export async function pumpBehind(input: FileNode, transform: (chunk: Uint8Array) => Uint8Array, output: FileNode, written: (out: Uint8Array) => void): Promise<void> {
  const src = input.open({ read: true, write: false });
  const dst = output.open({ read: false, write: true });
  const writer = new ChunkWriter(dst, written);
  // `transform` gives a new array for each chunk (node:crypto's update): the read buffer is reused at once.
  const buf = new Uint8Array(Math.max(1, Math.min(CHUNK, src.size())));
  let used = 0;
  try {
    dst.truncate(0);
    for (let at = 0; ; ) {
      const n = src.read(buf, at);
      if (n === 0) break;
      used = Math.max(used, n);
      await writer.write(transform(buf.subarray(0, n)), at);
      at += n;
    }
    await writer.drain();
  } finally {
    await writer.settle();
    buf.fill(0, 0, used);
    src.close();
    dst.close();
  }
}
