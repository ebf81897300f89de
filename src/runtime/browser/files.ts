import { Errno, FileType, FsError, type FileNode, type FileStorage, type NodeStat, type OpenMode } from "../../wasi/index.js";

/**
 * Browser files as virtual files for the engine, for a dedicated Web Worker (the engine's file
 * calls are synchronous, and only workers have synchronous file access): `BlobFile`, a
 * `File`/`Blob` read in place with `FileReaderSync`, one window at a time, so a multi-GB input is
 * never held whole in memory. Outputs: opfs.ts.
 */

/** `FileReaderSync` (worker-only; not in the DOM typings this project compiles with). */
interface FileReaderSyncLike {
  readAsArrayBuffer(blob: Blob): ArrayBuffer;
}

/** `FileSystemSyncAccessHandle` (worker-only). */
export interface SyncAccessHandle {
  read(buffer: Uint8Array, options?: { at?: number }): number;
  write(buffer: Uint8Array, options?: { at?: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

function fileReaderSync(): FileReaderSyncLike {
  const ctor = (globalThis as { FileReaderSync?: new () => FileReaderSyncLike }).FileReaderSync;
  if (ctor === undefined) throw new Error("browser files can only be read inside a Web Worker (FileReaderSync is missing)");
  return new ctor();
}

export function regular(size: number): NodeStat {
  return { type: FileType.REGULAR_FILE, size, ino: 0n, mtimeNs: 0n };
}

/** Bytes read from a Blob per `FileReaderSync` call when the engine asks for less (dgst reads 8 KiB). */
const WINDOW = 1 << 20;

/**
 * A `Blob` (a `File` the user chose or dropped) as a read-only virtual file and byte source. Small
 * reads are served from one 1 MiB window, zeroed when the file is closed.
 */
export class BlobFile implements FileNode, FileStorage {
  readonly kind = "file";
  private readonly reader = fileReaderSync();
  private window: { at: number; bytes: Uint8Array } | undefined;

  constructor(readonly blob: Blob) {}

  stat(): NodeStat {
    return regular(this.blob.size);
  }

  open(mode: OpenMode): FileStorage {
    if (mode.write) throw new FsError(Errno.ROFS, "browser input files are read-only");
    return this;
  }

  size(): number {
    return this.blob.size;
  }

  read(dst: Uint8Array, position: number): number {
    const size = this.blob.size;
    if (position >= size || dst.length === 0) return 0;
    if (dst.length >= WINDOW) {
      const bytes = this.slice(position, Math.min(size, position + dst.length));
      dst.set(bytes);
      bytes.fill(0);
      return bytes.length;
    }
    let w = this.window;
    if (w === undefined || position < w.at || position >= w.at + w.bytes.length) {
      this.drop();
      w = this.window = { at: position, bytes: this.slice(position, Math.min(size, position + WINDOW)) };
    }
    const n = Math.min(dst.length, w.at + w.bytes.length - position);
    dst.set(w.bytes.subarray(position - w.at, position - w.at + n));
    return n;
  }

  write(): void {
    throw new FsError(Errno.BADF);
  }

  truncate(): void {
    throw new FsError(Errno.BADF);
  }

  sync(): void {}

  /** Drops (and zeroes) the read window; the file stays readable. */
  close(): void {
    this.drop();
  }

  /** The whole content in memory (legacy bundles, keys, signatures). */
  bytes(): Uint8Array {
    return this.slice(0, this.blob.size);
  }

  private slice(start: number, end: number): Uint8Array {
    let buffer: ArrayBuffer;
    try {
      buffer = this.reader.readAsArrayBuffer(this.blob.slice(start, end));
    } catch (e) {
      // NotReadableError: the file was changed, moved or deleted on disk after it was chosen.
      throw new Error(`cannot read ${this.blob instanceof File ? this.blob.name : "the file"}: it changed or is no longer readable (${e instanceof Error ? e.name : String(e)})`);
    }
    if (buffer.byteLength !== end - start) throw new Error("the file changed while it was being read");
    return new Uint8Array(buffer);
  }

  private drop(): void {
    this.window?.bytes.fill(0);
    this.window = undefined;
  }
}

/** Reads a small file (a key, a signature) whole, refusing anything larger than `max` bytes. */
export function readSmall(blob: Blob, what: string, max = 1 << 16): Uint8Array {
  if (blob.size > max) throw new RangeError(`the ${what} file is too large (${blob.size} bytes): choose the ${what} file`);
  return new BlobFile(blob).bytes();
}
