import { Errno, FileType, FsError } from "./errno.js";
import type { DirNode, FileNode, FileStorage, Node, NodeStat, OpenMode } from "./nodes.js";

export interface HostStat {
  /** "other": a FIFO or anything else (WASI preview1 has no FIFO type). */
  type: "file" | "dir" | "symlink" | "char" | "block" | "socket" | "other";
  size: number;
  ino: bigint;
  mtimeNs: bigint;
}

/**
 * What a runtime adapter (Node, Deno) offers to back virtual nodes with real files. Every method
 * is synchronous, because the guest's WASI calls are; failures are thrown as `FsError`.
 */
export interface HostFs {
  /** undefined when nothing exists at `path`. */
  stat(path: string, follow: boolean): HostStat | undefined;
  open(path: string, mode: OpenMode): FileStorage;
  /** Creates an empty file with mode 0600; fails with EXIST when the name is taken. */
  create(path: string): void;
  mkdir(path: string): void;
  remove(path: string): void;
  rename(from: string, to: string): void;
  readdir(path: string): string[];
  readlink(path: string): string;
  symlink(target: string, path: string): void;
}

const TYPES: Record<HostStat["type"], FileType> = {
  file: FileType.REGULAR_FILE,
  dir: FileType.DIRECTORY,
  symlink: FileType.SYMBOLIC_LINK,
  char: FileType.CHARACTER_DEVICE,
  block: FileType.BLOCK_DEVICE,
  socket: FileType.SOCKET_STREAM,
  other: FileType.UNKNOWN,
};

function toNodeStat(s: HostStat): NodeStat {
  return { type: TYPES[s.type], size: s.size, ino: s.ino, mtimeNs: s.mtimeNs };
}

/** `dir` may be a Windows root such as "C:\\" (the `openssl` verb on win32). */
function join(dir: string, name: string): string {
  return dir.endsWith("/") || dir.endsWith("\\") ? dir + name : `${dir}/${name}`;
}

/** One host file, streamed: reads and writes go to the host file in chunks, never all in memory. */
export class HostFile implements FileNode {
  readonly kind = "file";
  constructor(
    private readonly fs: HostFs,
    readonly path: string,
  ) {}

  stat(): NodeStat {
    const s = this.fs.stat(this.path, true);
    return s === undefined ? { type: FileType.REGULAR_FILE, size: 0, ino: 0n, mtimeNs: 0n } : toNodeStat(s);
  }

  open(mode: OpenMode): FileStorage {
    return this.fs.open(this.path, mode);
  }
}

/** A host folder seen by the guest, with everything below it. */
export class HostDirectory implements DirNode {
  readonly kind = "dir";
  constructor(
    private readonly fs: HostFs,
    readonly path: string,
  ) {}

  stat(): NodeStat {
    const s = this.fs.stat(this.path, true);
    return s === undefined ? { type: FileType.DIRECTORY, size: 0, ino: 0n, mtimeNs: 0n } : toNodeStat(s);
  }

  lookup(name: string, follow: boolean): Node | undefined {
    const path = join(this.path, name);
    const s = this.fs.stat(path, follow);
    if (s === undefined) return undefined;
    return s.type === "dir" ? new HostDirectory(this.fs, path) : new HostFile(this.fs, path);
  }

  createFile(name: string): FileNode {
    const path = join(this.path, name);
    this.fs.create(path);
    return new HostFile(this.fs, path);
  }

  createDirectory(name: string): void {
    this.fs.mkdir(join(this.path, name));
  }

  remove(name: string): void {
    this.fs.remove(join(this.path, name));
  }

  rename(name: string, to: DirNode, toName: string): void {
    if (!(to instanceof HostDirectory)) throw new FsError(Errno.XDEV);
    this.fs.rename(join(this.path, name), join(to.path, toName));
  }

  names(): string[] {
    return this.fs.readdir(this.path);
  }

  readlink(name: string): string {
    return this.fs.readlink(join(this.path, name));
  }

  symlink(target: string, name: string): void {
    this.fs.symlink(target, join(this.path, name));
  }
}
