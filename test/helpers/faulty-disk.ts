import * as fs from "node:fs";
import { nodeDisk, type Disk } from "../../src/runtime/node/disk.js";

/**
 * A disk (the Node adapter's seam, src/runtime/node-disk.ts) that fails the way Windows, macOS
 * and their filesystems do, on top of the real one.
 */
export interface Faults {
  /** Whose order of steps the adapter follows (default: this machine's). */
  platform?: NodeJS.Platform;
  busyWaitMs?: number;
  /** link() fails with this errno (FAT and exFAT on Windows: EISDIR or EINVAL; vfat on Linux: EPERM; macOS: ENOTSUP). */
  link?: string;
  /** Runs inside link(), before it fails: another program creating the name meanwhile. */
  duringLink?: (newPath: string) => void;
  /** A rename onto an existing file fails with `code`, `times` times for each target (Infinity: always). */
  renameOntoExisting?: { code: string; times: number };
  /** A rename whose source is this path fails so, `times` times (a file another program holds). */
  renameFrom?: { path: string; code: string; times: number };
  /** An unlink of a path that matches fails so, `times` times for each path. */
  unlink?: { match: RegExp; code: string; times: number };
  /** Windows: unlinking an open file removes its name only when its last handle (opened here) closes. */
  unlinkOpenKeepsName?: boolean;
  /** fsync of a folder fails with this errno (Windows cannot open one; some network filesystems refuse). */
  dirFsync?: string;
  /** fchmod does nothing (Windows has no modes). */
  chmodIgnored?: boolean;
  /** Called before each write, with the descriptor written to. */
  beforeWrite?: (fd: number) => void;
}

export interface FaultyDisk extends Disk {
  /** Each injected failure, as "call code path". */
  readonly injected: string[];
}

export function errno(code: string, call: string, p: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected failure, ${call} '${p}'`), { code, syscall: call, path: p });
}

/** Counts calls per key and tells whether this one is still among the first `times`. */
function counter(): (key: string, times: number) => boolean {
  const seen = new Map<string, number>();
  return (key, times) => {
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    return n <= times;
  };
}

export function faultyDisk(f: Faults): FaultyDisk {
  const injected: string[] = [];
  const fail = (code: string, call: string, p: string): never => {
    injected.push(`${call} ${code} ${p}`);
    throw errno(code, call, p);
  };
  const renames = counter();
  const unlinks = counter();
  /** Descriptors opened here and still open, with their inode. */
  const open = new Map<number, bigint>();
  /** Unlinks waiting for the file's last descriptor to close: path and inode. */
  let pending: { path: string; ino: bigint }[] = [];
  const inode = (p: string) => fs.lstatSync(p, { bigint: true }).ino;
  /** Whether a descriptor opened here is open on `ino` (one closed elsewhere, e.g. a temp file's, is forgotten). */
  const isOpen = (ino: bigint) => {
    for (const [fd, i] of open) {
      let now: bigint | undefined;
      try {
        now = fs.fstatSync(fd, { bigint: true }).ino;
      } catch {
        // closed
      }
      if (now !== i) open.delete(fd);
      else if (i === ino) return true;
    }
    return false;
  };
  return {
    injected,
    platform: f.platform ?? nodeDisk.platform,
    busyWaitMs: f.busyWaitMs ?? nodeDisk.busyWaitMs,
    open(p, flags, mode) {
      const fd = nodeDisk.open(p, flags, mode);
      open.set(fd, fs.fstatSync(fd, { bigint: true }).ino);
      return fd;
    },
    close(fd) {
      open.delete(fd);
      nodeDisk.close(fd);
      const due = pending.filter((u) => !isOpen(u.ino));
      pending = pending.filter((u) => isOpen(u.ino));
      for (const u of due) nodeDisk.unlink(u.path);
    },
    write(fd, data, length, position) {
      f.beforeWrite?.(fd);
      return nodeDisk.write(fd, data, length, position);
    },
    async fsync(fd) {
      if (f.dirFsync !== undefined && fs.fstatSync(fd).isDirectory()) fail(f.dirFsync, "fsync", `fd ${fd}`);
      await nodeDisk.fsync(fd);
    },
    fchmod(fd, mode) {
      if (f.chmodIgnored !== true) nodeDisk.fchmod(fd, mode);
    },
    link(existing, newPath) {
      f.duringLink?.(newPath);
      if (f.link !== undefined) fail(f.link, "link", newPath);
      nodeDisk.link(existing, newPath);
    },
    rename(from, to) {
      const r = f.renameFrom;
      if (r !== undefined && from === r.path && renames(`from ${from}`, r.times)) fail(r.code, "rename", from);
      const onto = f.renameOntoExisting;
      if (onto !== undefined && fs.existsSync(to) && renames(`onto ${to}`, onto.times)) fail(onto.code, "rename", to);
      nodeDisk.rename(from, to);
    },
    unlink(p) {
      const u = f.unlink;
      if (u !== undefined && u.match.test(p) && unlinks(p, u.times)) fail(u.code, "unlink", p);
      if (f.unlinkOpenKeepsName === true && isOpen(inode(p))) {
        pending.push({ path: p, ino: inode(p) });
        return;
      }
      nodeDisk.unlink(p);
    },
  };
}
