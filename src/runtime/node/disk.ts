import * as fs from "node:fs";
import { promisify } from "node:util";

/**
 * The filesystem calls of the commit sequence and of the removal of originals, the ones whose
 * behaviour differs between Windows, macOS and Linux and between NTFS, FAT, exFAT, APFS and
 * ext4: a refused hard link (EPERM on Linux vfat, ENOTSUP on macOS, EISDIR or EINVAL from Windows
 * on FAT and exFAT), a rename onto a file another program holds open (EPERM or EBUSY on Windows),
 * an unlinked file that keeps its name until its last handle closes (Windows), a folder that
 * cannot be fsynced, a chmod that changes nothing. Tests swap in a disk that fails the way a
 * platform does (`useDisk`); production code never does.
 */
export interface Disk {
  /**
   * Whose rules decide the order of the steps: on "win32" a deleted file keeps its name while it
   * is open, so an original is moved aside before it is overwritten.
   */
  readonly platform: NodeJS.Platform;
  /** How long a file that another program holds (EBUSY, EPERM, EACCES) is retried before giving up. */
  readonly busyWaitMs: number;
  open(path: string, flags: number | string, mode?: number): number;
  close(fd: number): void;
  /** Writes `length` bytes of `data` at `position` of the file; returns how many it wrote. */
  write(fd: number, data: Uint8Array, length: number, position: number): number;
  /** fsync on libuv's thread pool (the disk's journal is waited for there, not on this thread). */
  fsync(fd: number): Promise<void>;
  fchmod(fd: number, mode: number): void;
  link(existing: string, newPath: string): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
}

/**
 * Retrying for 5 s covers a virus scanner or an indexer that opens each new file for a moment;
 * a spreadsheet that keeps the file open does not let go however long one waits.
 */
const BUSY_WAIT_MS = 5000;

export const nodeDisk: Disk = {
  platform: process.platform,
  busyWaitMs: BUSY_WAIT_MS,
  open: (p, flags, mode) => fs.openSync(p, flags, mode),
  close: (fd) => fs.closeSync(fd),
  write: (fd, data, length, position) => fs.writeSync(fd, data, 0, length, position),
  fsync: promisify(fs.fsync),
  fchmod: (fd, mode) => fs.fchmodSync(fd, mode),
  link: (existing, newPath) => fs.linkSync(existing, newPath),
  rename: (from, to) => fs.renameSync(from, to),
  unlink: (p) => fs.unlinkSync(p),
};

let current: Disk = nodeDisk;

/** The disk the Node adapter works on. */
export function disk(): Disk {
  return current;
}

/** Test seam: work on `d` (undefined: the real disk again). */
export function useDisk(d: Disk | undefined): void {
  current = d ?? nodeDisk;
}

export function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}
