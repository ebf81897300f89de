import * as fs from "node:fs";
import * as path from "node:path";

/**
 * What the operating system can tell `watch` beyond what a stat shows: whether a process still
 * holds a file open for writing, and whether a folder is on a network filesystem (where change
 * events are unreliable and the watcher polls instead).
 */

/** Finds which of some files a process holds open for writing. */
export type WriteOpenCheck = (files: readonly string[]) => Set<string>;

/** O_ACCMODE's bits in /proc/PID/fdinfo/N "flags:" (octal): O_WRONLY 1, O_RDWR 2. */
const ACCESS_MODE = 0o3;

/** Whether descriptor FD of process PID was opened for writing (false if it closed meanwhile). */
function openedForWriting(pid: string, fd: string): boolean {
  try {
    const flags = /^flags:\s*([0-7]+)/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, "latin1"))?.[1];
    return flags !== undefined && (parseInt(flags, 8) & ACCESS_MODE) !== 0;
  } catch {
    return false;
  }
}

/**
 * Linux: the descriptors in /proc/PID/fd that link to one of the files, and their open flags.
 * One pass over /proc for all the files of a tick. Processes of other users cannot be read
 * (unless the watcher runs as root): their descriptors are not seen.
 */
function procWriteOpen(files: readonly string[]): Set<string> {
  const wanted = new Map<string, string>();
  for (const f of files) {
    try {
      wanted.set(fs.realpathSync(f), f);
    } catch {
      // gone: nobody writes it
    }
  }
  const open = new Set<string>();
  if (wanted.size === 0) return open;
  for (const pid of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's process, or one that ended
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const file = wanted.get(target);
      if (file !== undefined && !open.has(file) && openedForWriting(pid, fd)) open.add(file);
    }
  }
  return open;
}

/**
 * The check where this OS offers one (Linux's /proc), else undefined: macOS and Windows have no
 * cheap way (lsof, handle.exe and the Restart Manager are separate programs or native calls), so
 * there the watcher relies on --settle alone.
 */
export const writeOpenCheck: WriteOpenCheck | undefined = process.platform === "linux" && fs.existsSync("/proc/self/fdinfo") ? procWriteOpen : undefined;

/** statfs(2) f_type of Linux network and FUSE filesystems (inotify misses changes made by other machines there). */
const NETWORK_FILESYSTEMS = new Set([
  0x6969, // NFS
  0x517b, // SMB
  0xff534d42, // CIFS
  0xfe534d42, // SMB2
  0x65735546, // FUSE (sshfs, rclone, ...)
  0x01021997, // 9p (WSL's /mnt/c, VM shares)
  0x00c36400, // Ceph
  0x5346414f, // AFS
]);

/**
 * Whether DIR looks like a network folder: a UNC path (\\server\share) on Windows, a network or
 * FUSE filesystem on Linux. macOS's statfs type numbers are not stable, and a Windows drive
 * letter mapped to a share cannot be told from a local one: there, --poll says so.
 */
export function onNetworkFolder(dir: string): boolean {
  if (process.platform === "win32") return path.resolve(dir).startsWith("\\\\");
  if (process.platform !== "linux") return false;
  try {
    return NETWORK_FILESYSTEMS.has(fs.statfsSync(dir).type);
  } catch {
    return false;
  }
}
