import type { FileNode, FileStorage, NodeStat } from "../wasi/index.js";
import { CompareSink } from "./views.js";

/**
 * Files seen through: each read and write of an inner file also shown to someone (the MAC thread,
 * a progress display, the read-back comparison).
 */

/** What a `HookedFile` runs after each read or write of its file, with the bytes and their position. */
export interface FileHooks {
  afterRead?(bytes: Uint8Array, position: number): void;
  /** `storage`: the file's, to read back what was just written. */
  afterWrite?(bytes: Uint8Array, position: number, storage: FileStorage): void;
}

/** `inner`, with `hooks` run after each read and each write of it. */
export class HookedFile implements FileNode {
  readonly kind = "file";

  constructor(
    private readonly inner: FileNode,
    private readonly hooks: FileHooks,
  ) {}

  stat(): NodeStat {
    return this.inner.stat();
  }

  open(mode: { read: boolean; write: boolean }): FileStorage {
    const s = this.inner.open(mode);
    const { afterRead, afterWrite } = this.hooks;
    return {
      size: () => s.size(),
      read: (dst, position) => {
        const n = s.read(dst, position);
        afterRead?.(dst.subarray(0, n), position);
        return n;
      },
      write: (src, position) => {
        s.write(src, position);
        afterWrite?.(src, position, s);
      },
      truncate: (size) => s.truncate(size),
      sync: () => s.sync(),
      close: () => s.close(),
    };
  }
}

/** `inner`, with every chunk read from or written to it also shown to `tap` (with its position). */
export class TappedFile extends HookedFile {
  constructor(inner: FileNode, tap: (bytes: Uint8Array, position: number) => void) {
    super(inner, { afterRead: tap, afterWrite: tap });
  }
}

/** `inner`, reporting how far reads and writes have reached (for progress display). */
export class ObservedFile extends TappedFile {
  constructor(inner: FileNode, onProgress: (bytes: number) => void) {
    let reached = 0;
    super(inner, (bytes, position) => {
      const end = position + bytes.length;
      if (end > reached) onProgress((reached = end));
    });
  }
}

/**
 * `inner`, each write read back at once and compared with what was written: `matches(size)` says
 * whether the file holds exactly the bytes written to it, `size` of them. The read-back check of a
 * seal whose original is kept (`SealOptions.originalKept`): the bundle as stored is what was computed.
 */
export function readBack(inner: FileNode): { file: FileNode; matches(size: number): boolean } {
  // Each write, read back from the storage it went to, is what a CompareSink judges.
  let storage: Pick<FileStorage, "read"> | undefined;
  let unreadable = false;
  const compare = new CompareSink({ read: (dst, position) => storage?.read(dst, position) ?? 0 });
  const file = new HookedFile(inner, {
    afterWrite(written, position, s) {
      storage = s;
      try {
        compare.write(written, position);
      } catch {
        unreadable = true; // the check fails, the run goes on to its end
      }
    },
  });
  return { file, matches: (size) => !unreadable && compare.matches(size) };
}
