import type { StreamReader } from "../../bundle/views.js";
import { blobWindows } from "./blob-windows.js";
import { Errno, FileType, FsError, type FileNode, type FileStorage, type NodeStat, type OpenMode } from "../../wasi/index.js";

/**
 * The user's files (a `File` or `Blob`) as virtual files for the engine, in a dedicated Web Worker
 * (the engine's file calls are synchronous, and only workers have synchronous file access): read
 * in place with `FileReaderSync`, one window at a time, so a multi-GB input is never held whole in
 * memory; or streamed, for engines that await.
 */

/** `FileReaderSync` (worker-only; not in the DOM typings this project compiles with). */
interface FileReaderSyncLike {
  readAsArrayBuffer(blob: Blob): ArrayBuffer;
}

function fileReaderSync(): FileReaderSyncLike {
  const ctor = (globalThis as { FileReaderSync?: new () => FileReaderSyncLike }).FileReaderSync;
  if (ctor === undefined) throw new Error("browser files can only be read inside a Web Worker (FileReaderSync is missing)");
  return new ctor();
}

export function regular(size: number): NodeStat {
  return { type: FileType.REGULAR_FILE, size, ino: 0n, mtimeNs: 0n };
}

/** Bytes read from a Blob per call when the engine asks for less (dgst reads 8 KiB), and per window read ahead (`streamFrom`). */
const WINDOW = 1 << 20;

/**
 * A `Blob` (a `File` the user chose or dropped) as a read-only virtual file and byte source. Small
 * reads are served from one 1 MiB window, zeroed when the file is closed.
 */
export class BlobFile implements FileNode, FileStorage {
  readonly kind = "file";
  private readonly reader = fileReaderSync();
  private window: { at: number; bytes: Uint8Array } | undefined;

  /** `signal`: once aborted, every read throws its reason (the run stops at its next read). */
  constructor(
    readonly blob: Blob,
    private readonly signal?: { readonly aborted: boolean; readonly reason?: unknown },
  ) {}

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
    this.stopIfAborted();
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

  /**
   * Bytes `from` up to `to`, read ahead: the browser reads the next window on its own threads
   * while the caller works on this one (several times the speed of `read`'s FileReaderSync).
   * Stops, as `read` does, once the signal is aborted.
   */
  streamFrom(from: number, to: number): StreamReader {
    const windows = blobWindows(this.blob, from, to, WINDOW, (e) => this.unreadable(e));
    return {
      read: async (into) => {
        this.stopIfAborted();
        return windows.read(into);
      },
      cancel: () => windows.cancel(),
    };
  }

  private stopIfAborted(): void {
    if (this.signal?.aborted === true) throw this.signal.reason ?? new DOMException("cancelled", "AbortError");
  }

  /** NotReadableError: the file was changed, moved or deleted on disk after it was chosen. */
  private unreadable(e: unknown): Error {
    return new Error(`cannot read ${this.blob instanceof File ? this.blob.name : "the file"}: it changed or is no longer readable (${e instanceof Error ? e.name : String(e)})`);
  }

  private slice(start: number, end: number): Uint8Array {
    let buffer: ArrayBuffer;
    try {
      buffer = this.reader.readAsArrayBuffer(this.blob.slice(start, end));
    } catch (e) {
      throw this.unreadable(e);
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
