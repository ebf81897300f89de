import * as fs from "node:fs";
import * as path from "node:path";
import { FileExistsError } from "../../bundle/errors.js";
import { FileType, type FileNode, type FileStorage } from "../../wasi/index.js";
import { disk, errnoCode } from "./disk.js";
import { NodeFileStorage } from "./fs.js";
import { ownedNamesOf, ownedTempName, writeZeros } from "./leftovers.js";
import { renameExclusive, replace, unlinkOrWarn, whenFree } from "./rename.js";

/**
 * Safe file handling on the real disk: outputs are written under a temporary name (0600, same
 * folder), fsynced and renamed into place only when complete, so no half-written file ever
 * carries the final name and no existing file is clobbered unless asked.
 */

export interface TempFile {
  path: string;
  storage: WrittenBackFile;
}

/** Every this many bytes written, the data so far is sent to the disk in the background. */
const WRITE_BACK_BYTES = 64 << 20;

/**
 * A file whose data goes to the disk while it is still being written (an `fdatasync` on libuv's
 * thread pool every 64 MiB), so the fsync that must precede the rename waits for the last
 * stretch only instead of the whole file. `durable()` (or `settle()` on failure) must be awaited
 * before closing: a queued fdatasync must not meet a reused fd.
 */
export class WrittenBackFile extends NodeFileStorage {
  private sinceWriteBack = 0;
  private pending: Promise<void>[] = [];
  /** Writes so far, and how many of them the last completed `flush()` made durable. */
  private writes = 0;
  private flushedWrites = -1;
  private firstIoError: Error | undefined;

  /**
   * The first failure of the disk under this file (a write, truncate, fsync or write-back):
   * the wasm engine reports a failed write only as "error writing output file".
   */
  get ioError(): Error | undefined {
    return this.firstIoError;
  }

  private noteIoError(e: unknown): void {
    this.firstIoError ??= e instanceof Error ? e : new Error(String(e));
  }

  // try/catch written out in each method: wrapping the calls in a closure (`this.io(() =>
  // super.write(...))`) raised the peak RSS of a 4.5 GiB encryption from 110 to 205 MiB
  // (measured with scripts/stream-check.mjs; V8's reason not pinned down).
  override truncate(size: number): void {
    try {
      super.truncate(size);
    } catch (e) {
      this.noteIoError(e);
      throw e;
    }
    this.writes++;
  }

  override sync(): void {
    try {
      super.sync();
    } catch (e) {
      this.noteIoError(e);
      throw e;
    }
  }

  override write(src: Uint8Array, position: number): void {
    try {
      super.write(src, position);
    } catch (e) {
      this.noteIoError(e);
      throw e;
    }
    this.writes++;
    this.sinceWriteBack += src.length;
    if (this.sinceWriteBack < WRITE_BACK_BYTES) return;
    this.sinceWriteBack = 0;
    this.pending.push(
      new Promise((resolve) =>
        fs.fdatasync(this.fd, (e) => {
          if (e !== null) this.noteIoError(e);
          resolve();
        }),
      ),
    );
  }

  /** Waits for the background write-backs, whatever they gave (before closing a failed file). */
  async settle(): Promise<void> {
    await Promise.all(this.pending);
    this.pending = [];
  }

  /** This file as a virtual-filesystem node that writes through it (the caller closes it). */
  node(): FileNode {
    const storage: FileStorage = {
      size: () => this.size(),
      read: (dst, position) => this.read(dst, position),
      write: (src, position) => this.write(src, position),
      truncate: (size) => this.truncate(size),
      sync: () => undefined,
      close: () => undefined,
    };
    return { kind: "file", stat: () => ({ type: FileType.REGULAR_FILE, size: this.size(), ino: 0n, mtimeNs: 0n }), open: () => storage };
  }

  /**
   * The write-backs done; a failure of the disk, if any, thrown (on the way to a rename, the only
   * failures not already thrown by the call that met them are the background write-backs').
   */
  private async writtenBack(): Promise<void> {
    await this.settle();
    if (this.firstIoError !== undefined) throw this.firstIoError;
  }

  /** In the background: the write-backs, then an fsync on the thread pool (while the read-back check runs). */
  override async flush(): Promise<void> {
    const writes = this.writes;
    await this.writtenBack();
    await super.flush().catch((e: unknown) => {
      this.noteIoError(e);
      throw e;
    });
    this.flushedWrites = writes;
  }

  /** Before the rename: the write-backs, then fsync on this thread (unless a `flush()` already covered every write). */
  async durable(): Promise<void> {
    await this.writtenBack();
    if (this.flushedWrites !== this.writes) this.sync();
  }
}

/** Creates `.<name>.tmp-<owner>-<random>` next to `finalPath` (leftovers.ts), mode 0600 whatever the umask (where the OS has modes). */
export function createTemp(finalPath: string): TempFile {
  const d = disk();
  const temp = ownedTempName(finalPath, "tmp");
  const fd = d.open(temp, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  d.fchmod(fd, 0o600);
  return { path: temp, storage: new WrittenBackFile(fd) };
}

/** The temp files of `finalPath` left in its folder (by a process killed before its rename or cleanup), whoever owns them. */
export const tempsOf = (finalPath: string): string[] => ownedNamesOf(finalPath, "tmp");

/** Copies of `original` moved aside for removal and left in its folder (by a process killed before it deleted them). */
export const asideOf = (original: string): string[] => ownedNamesOf(original, "wipe");

export function removeQuietly(p: string): void {
  try {
    disk().unlink(p);
  } catch {
    // already gone
  }
}

// The fsyncs wait for the disk's journal: they run on libuv's thread pool, and a batch's next file
// goes on meanwhile. (Opening files stays synchronous: handing an open to the thread pool cost
// more, in thread switches on two cores, than it saved. Measured on 1000 small files.)
async function syncDir(dir: string): Promise<void> {
  const d = disk();
  let fd: number | undefined;
  try {
    fd = d.open(dir, "r");
    await d.fsync(fd);
  } catch {
    // Not every platform can fsync a folder (Windows, some network and FUSE filesystems); the rename itself is still atomic.
  } finally {
    if (fd !== undefined) d.close(fd);
  }
}

export function refuseExisting(finalPath: string, what = "output"): void {
  if (fs.existsSync(finalPath)) throw new FileExistsError(`${what} ${finalPath} exists; not overwriting (use --force)`);
}

/**
 * Moves a finished temp file to its final name; without `overwrite`, never replaces a file.
 * Returns a warning when all is done but the temp file's second name could not be removed.
 */
export async function commit(tempPath: string, finalPath: string, overwrite: boolean): Promise<string | undefined> {
  const dir = path.dirname(finalPath);
  if (overwrite) {
    await replace(tempPath, finalPath);
    await syncDir(dir);
    return undefined;
  }
  try {
    // link() fails if the name exists: an atomic no-clobber rename.
    disk().link(tempPath, finalPath);
  } catch (e) {
    if (errnoCode(e) === "EEXIST") throw new FileExistsError(`output ${finalPath} exists; not overwriting (use --force)`, { cause: e });
    // A filesystem without hard links, which each platform reports its own way (EPERM, ENOTSUP,
    // EISDIR, EINVAL, ...): whatever the errno, an exclusive rename instead.
    await renameExclusive(tempPath, finalPath);
    await syncDir(dir);
    return undefined;
  }
  // The output is complete under its name: a temp name that stays held must not fail the run.
  const warning = await unlinkOrWarn(tempPath, `a second name of ${finalPath}`);
  await syncDir(dir);
  return warning;
}

/**
 * Overwrites a file once with zeros, fsyncs and unlinks it. A file with other hard links is only
 * unlinked (overwriting would destroy it under its other names too), with a warning; so is a
 * symbolic link (the file it points to is kept, with a warning). What this cannot reach: SSD wear
 * levelling, journaling and copy-on-write filesystems, snapshots, backups.
 */
export async function overwriteAndDelete(p: string): Promise<string | undefined> {
  const d = disk();
  const link = fs.lstatSync(p);
  if (link.isSymbolicLink()) {
    // Overwriting through the link used to zero the target and leave it, full of zeros, under its
    // own name. The link is what was named: remove it, keep (and report) the target.
    const target = fs.readlinkSync(p);
    await whenFree(p, "remove", () => d.unlink(p));
    await syncDir(path.dirname(p));
    return `${p} is a symbolic link: the link was removed; the file it points to (${target}) was kept, not overwritten`;
  }
  const st = fs.statSync(p);
  if (st.nlink > 1) {
    await whenFree(p, "remove", () => d.unlink(p));
    return `${p} has ${st.nlink - 1} other hard link(s): unlinked but not overwritten, the data is still reachable through them`;
  }
  if (d.platform === "win32") return moveAsideOverwriteDelete(p, st.size);
  const fd = d.open(p, "r+");
  try {
    // Unlink first, then overwrite through the open descriptor (same blocks). Overwriting first left
    // a crash (kill, power cut) during the overwrite with a half-zeroed file under the original's
    // name, next to its bundle: it looks like the original, and encrypting it again after removing
    // the "failed" bundle would lose the data. Now the name is gone before any byte is changed.
    d.unlink(p);
    await syncDir(path.dirname(p));
    await zeroAndSync(fd, st.size);
  } finally {
    d.close(fd);
  }
  return undefined;
}

/**
 * Windows keeps the name of a deleted file until its last handle closes (always on FAT and exFAT
 * and before Windows 10 1903, and on NTFS whenever another program holds the file): unlinking
 * first would leave the original, half-zeroed, under its own name through a crash. So the file is
 * moved aside to a hidden name (waiting while another program holds it), that move is made durable,
 * and only then is it overwritten, fsynced, closed and deleted.
 */
async function moveAsideOverwriteDelete(p: string, size: number): Promise<string | undefined> {
  const d = disk();
  const aside = ownedTempName(p, "wipe");
  await whenFree(p, "remove", () => d.rename(p, aside));
  await syncDir(path.dirname(p));
  const fd = d.open(aside, "r+");
  try {
    // On Windows an fsync (FlushFileBuffers) of the file is what commits its new name to the disk.
    await d.fsync(fd);
    await zeroAndSync(fd, size);
  } finally {
    d.close(fd);
  }
  return unlinkOrWarn(aside, `${p}, overwritten with zeros`);
}

async function zeroAndSync(fd: number, size: number): Promise<void> {
  writeZeros(fd, size);
  await disk().fsync(fd);
}
