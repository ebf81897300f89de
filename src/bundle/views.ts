import { Errno, FileType, FsError, type FileNode, type FileStorage, type NodeStat } from "../wasi/index.js";

/**
 * Virtual files that let OpenSSL stream straight into and out of the bundle without copies:
 * a window onto part of the bundle file, a concatenation (header + payload for the MAC), and a
 * sink that compares what is written with an existing file (verification without a plaintext
 * copy anywhere).
 */

function stat(size: number): NodeStat {
  return { type: FileType.REGULAR_FILE, size, ino: 0n, mtimeNs: 0n };
}

/** A file that is its own storage; subclasses implement what they allow (read or write). */
export abstract class VirtualFile implements FileNode, FileStorage {
  readonly kind = "file";
  abstract size(): number;
  stat(): NodeStat {
    return stat(this.size());
  }
  open(): FileStorage {
    return this;
  }
  read(_dst: Uint8Array, _position: number): number {
    throw new FsError(Errno.BADF);
  }
  write(_src: Uint8Array, _position: number): void {
    throw new FsError(Errno.BADF);
  }
  truncate(size: number): void {
    // OpenSSL opens outputs with O_TRUNC; only truncating to the current size (a no-op) makes sense here.
    if (size !== 0 && size !== this.size()) throw new FsError(Errno.INVAL);
  }
  sync(): void {}
  close(): void {}
}

/** Whether `a` and `b` hold the same bytes, in a time that depends only on the length (tags are compared with it). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  let i = 0;
  // V8 compiles this to a tight loop (no property access inside); 4-byte aligned views are the norm.
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const words = a.length >>> 2;
    const x = new Int32Array(a.buffer, a.byteOffset, words);
    const y = new Int32Array(b.buffer, b.byteOffset, words);
    for (let w = 0; w < words; w++) diff |= (x[w] as number) ^ (y[w] as number);
    i = words << 2;
  }
  for (; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** `parts` one after another in one array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads bytes in order into buffers the caller gives (see `Streamable`). */
export interface StreamReader {
  /**
   * Fills the start of `into` with the next bytes (at least one, unless at the end: then none) and
   * gives back the filled part: a view of the same memory, which the stream may have moved to a
   * new ArrayBuffer (a BYOB read transfers it). Read on into that one.
   */
  read(into: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>>;
  /** Stops (early or at the end) and frees the stream. */
  cancel(): Promise<void>;
}

/**
 * Bytes that can also be streamed, asynchronously: a browser `File`'s stream is several times
 * faster than its synchronous reads. An engine that awaits anyway (Web Crypto's) reads through it.
 */
export interface Streamable {
  /** Bytes `from` up to `to`, in order. */
  streamFrom(from: number, to: number): StreamReader;
}

export const isStreamable = (x: object): x is Streamable => typeof (x as Partial<Streamable>).streamFrom === "function";

/** `length` bytes of `storage` starting at `offset`: read it, or fill it (never past its end) and read back what was written. */
export class WindowFile extends VirtualFile {
  private written = 0;
  /** Present when the storage streams (a window of a browser `File`). */
  readonly streamFrom?: (from: number, to: number) => StreamReader;

  constructor(
    private readonly storage: Pick<FileStorage, "read"> & Partial<Pick<FileStorage, "write">>,
    private readonly offset: number,
    private readonly length: number,
    private readonly mode: "read" | "write",
  ) {
    super();
    if (mode === "read" && isStreamable(storage)) this.streamFrom = (from, to) => storage.streamFrom(offset + from, offset + Math.min(to, length));
  }

  size(): number {
    return this.mode === "read" ? this.length : this.written;
  }

  /** Reads within the window (in write mode: within what has been written). */
  override read(dst: Uint8Array, position: number): number {
    const end = this.size();
    if (position >= end) return 0;
    return this.storage.read(dst.subarray(0, Math.min(dst.length, end - position)), this.offset + position);
  }

  override write(src: Uint8Array, position: number): void {
    if (this.mode !== "write" || this.storage.write === undefined) throw new FsError(Errno.BADF);
    if (position + src.length > this.length) throw new FsError(Errno.FBIG, "payload larger than declared");
    this.storage.write(src, this.offset + position);
    this.written = Math.max(this.written, position + src.length);
  }
}

/** A readable byte range: bytes in memory, or a file such as a `WindowFile`. */
export type Part = Uint8Array | Pick<FileStorage, "size" | "read">;

/** Several byte ranges read as one file. */
export class ConcatFile extends VirtualFile {
  constructor(private readonly parts: readonly Part[]) {
    super();
  }

  size(): number {
    return this.parts.reduce((n, p) => n + (p instanceof Uint8Array ? p.length : p.size()), 0);
  }

  override read(dst: Uint8Array, position: number): number {
    let base = 0;
    for (const part of this.parts) {
      const len = part instanceof Uint8Array ? part.length : part.size();
      if (position < base + len) {
        const at = position - base;
        if (part instanceof Uint8Array) {
          const n = Math.min(dst.length, len - at);
          dst.set(part.subarray(at, at + n));
          return n;
        }
        return part.read(dst, at);
      }
      base += len;
    }
    return 0;
  }
}

/** Accepts writes and checks each byte against `reference`; `matches()` after the run. */
export class CompareSink extends VirtualFile {
  private written = 0;
  private same = true;

  /** `equal`: a runtime's native comparison, else the loop below. */
  constructor(
    private readonly reference: Pick<FileStorage, "read">,
    private readonly equal: (a: Uint8Array, b: Uint8Array) => boolean = equalBytes,
  ) {
    super();
  }

  size(): number {
    return this.written;
  }

  /** Reused for every write: a fresh array per chunk would leave GBs for the collector. */
  private expected = new Uint8Array(0);

  override write(src: Uint8Array, position: number): void {
    if (this.expected.length < src.length) this.expected = new Uint8Array(src.length);
    const expected = this.expected.subarray(0, src.length);
    let done = 0;
    while (done < src.length) {
      const n = this.reference.read(expected.subarray(done), position + done);
      if (n === 0) break;
      done += n;
    }
    if (done !== src.length || !this.equal(src, expected)) this.same = false;
    expected.fill(0);
    this.written = Math.max(this.written, position + src.length);
  }

  /** True when everything written equals the reference of `size` bytes. */
  matches(size: number): boolean {
    return this.same && this.written === size;
  }
}

/**
 * A write-only file that hands each write, in order, to `sink` (standard output, a pipe): nothing
 * written can be taken back or rewritten, so writes must come in order from position 0.
 */
export class StreamSink extends VirtualFile {
  private written = 0;

  constructor(private readonly sink: (bytes: Uint8Array) => void) {
    super();
  }

  size(): number {
    return this.written;
  }

  override write(src: Uint8Array, position: number): void {
    if (position !== this.written) throw new FsError(Errno.SPIPE, "a stream is written in order");
    this.sink(src);
    this.written += src.length;
  }
}
