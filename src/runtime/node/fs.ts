import * as fs from "node:fs";
import { isatty } from "node:tty";
import { Errno, FileType, FsError, type FileStorage, type HostFs, type HostStat, type OpenMode, type SpecialFile } from "../../wasi/index.js";

const ERRNO: Record<string, Errno> = {
  EACCES: Errno.ACCES,
  EBADF: Errno.BADF,
  EEXIST: Errno.EXIST,
  EFBIG: Errno.FBIG,
  EINVAL: Errno.INVAL,
  EISDIR: Errno.ISDIR,
  ELOOP: Errno.LOOP,
  ENAMETOOLONG: Errno.NAMETOOLONG,
  ENODEV: Errno.NODEV,
  ENOENT: Errno.NOENT,
  ENOSPC: Errno.NOSPC,
  ENOTDIR: Errno.NOTDIR,
  ENOTEMPTY: Errno.NOTEMPTY,
  ENXIO: Errno.NXIO,
  EPERM: Errno.PERM,
  EPIPE: Errno.PIPE,
  EROFS: Errno.ROFS,
  ESPIPE: Errno.SPIPE,
  EXDEV: Errno.XDEV,
};

function toFsError(e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  return code === undefined ? e : new FsError(ERRNO[code] ?? Errno.IO, (e as Error).message);
}

/** Runs a host call, reporting its failure to the guest as the matching errno. */
function host<T>(call: () => T): T {
  try {
    return call();
  } catch (e) {
    throw toFsError(e);
  }
}

/** An open host file: the guest's reads and writes go to it in place, at the given offsets. */
export class NodeFileStorage implements FileStorage {
  constructor(protected readonly fd: number) {}

  size(): number {
    return host(() => fs.fstatSync(this.fd).size);
  }

  /** Where a read or write at `position` goes: null = the descriptor's own position. */
  protected offset(position: number): number | null {
    return position;
  }

  read(dst: Uint8Array, position: number): number {
    return host(() => fs.readSync(this.fd, dst, 0, dst.length, this.offset(position)));
  }

  write(src: Uint8Array, position: number): void {
    let done = 0;
    while (done < src.length) {
      const at = done;
      done += host(() => fs.writeSync(this.fd, src, at, src.length - at, this.offset(position + at)));
    }
  }

  truncate(size: number): void {
    host(() => fs.ftruncateSync(this.fd, size));
  }

  sync(): void {
    host(() => fs.fsyncSync(this.fd));
  }

  /** fsync on libuv's thread pool: the caller goes on working (the read-back check) meanwhile. */
  flush(): Promise<void> {
    return new Promise((resolve, reject) => fs.fsync(this.fd, (e) => (e === null ? resolve() : reject(toFsError(e)))));
  }

  close(): void {
    host(() => fs.closeSync(this.fd));
  }
}

/**
 * A device, a pipe or a socket opened by name (/dev/null, a FIFO, /dev/stdout). One that cannot
 * seek is read and written where it stands: pread/pwrite on a pipe or a terminal fail (ESPIPE).
 */
class NodeSpecialStorage extends NodeFileStorage {
  constructor(
    fd: number,
    readonly special: SpecialFile,
  ) {
    super(fd);
  }

  protected override offset(position: number): number | null {
    return this.special.seekable ? position : null;
  }
}

/** What an open non-regular file is: devices other than terminals seek (lseek on /dev/null succeeds), pipes do not. */
function specialFile(s: fs.Stats, fd: number): SpecialFile {
  if (s.isBlockDevice()) return { type: FileType.BLOCK_DEVICE, seekable: true };
  if (s.isCharacterDevice()) return { type: FileType.CHARACTER_DEVICE, seekable: !isatty(fd) };
  return { type: s.isSocket() ? FileType.SOCKET_STREAM : FileType.UNKNOWN, seekable: false };
}

function openStorage(path: string, mode: OpenMode): FileStorage {
  const fd = host(() => fs.openSync(path, openFlags(mode)));
  try {
    const s = host(() => fs.fstatSync(fd));
    return s.isFile() ? new NodeFileStorage(fd) : new NodeSpecialStorage(fd, specialFile(s, fd));
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

function openFlags(mode: OpenMode): number {
  const { O_RDONLY, O_WRONLY, O_RDWR } = fs.constants;
  return mode.read && mode.write ? O_RDWR : mode.write ? O_WRONLY : O_RDONLY;
}

function toStat(s: fs.BigIntStats): HostStat {
  const type = s.isFile() ? "file" : s.isDirectory() ? "dir" : s.isSymbolicLink() ? "symlink" : s.isCharacterDevice() ? "char" : s.isBlockDevice() ? "block" : s.isSocket() ? "socket" : "other";
  return { type, size: Number(s.size), ino: s.ino, mtimeNs: s.mtimeNs };
}

/** Host files through `node:fs` (also what Deno offers through its Node compatibility). */
export const nodeHostFs: HostFs = {
  stat(path, follow) {
    try {
      return toStat(follow ? fs.statSync(path, { bigint: true }) : fs.lstatSync(path, { bigint: true }));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      throw toFsError(e);
    }
  },
  open: openStorage,
  create: (path) => host(() => fs.closeSync(fs.openSync(path, "wx", 0o600))),
  mkdir: (path) => host(() => fs.mkdirSync(path, { mode: 0o700 })),
  remove: (path) => host(() => (fs.lstatSync(path).isDirectory() ? fs.rmdirSync(path) : fs.unlinkSync(path))),
  rename: (from, to) => host(() => fs.renameSync(from, to)),
  readdir: (path) => host(() => fs.readdirSync(path)),
  readlink: (path) => host(() => fs.readlinkSync(path)),
  symlink: (target, path) => host(() => fs.symlinkSync(target, path)),
};
