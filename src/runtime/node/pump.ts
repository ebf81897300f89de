import type { FileNode, FileStorage } from "../../wasi/index.js";

/** Chunks of the native bulk engine: big enough that the per-call costs vanish, small enough for a flat memory profile. */
export const CHUNK = 1 << 20;

/** Byte equality for the read-back check by `Buffer.equals` (not secret-dependent timing: both sides are the user's own data). */
export const nativeEqual = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

/**
 * Streams `input` through `transform` chunk by chunk (synchronous I/O, bounded memory), writing
 * what it returns to `output`; `written` sees each output chunk once it is written.
 */
export function pump(input: FileNode, transform: (chunk: Uint8Array) => Uint8Array | undefined, output?: FileNode, written?: (out: Uint8Array) => void): void {
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
      if (out !== undefined && out.length > 0) {
        dst?.write(out, at);
        written?.(out);
      }
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
