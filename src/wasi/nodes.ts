import { FileType } from "./errno.js";

/** The bytes behind an open file. Host-backed storage reads and writes the host file in place. */
export interface FileStorage {
  size(): number;
  /** Reads up to `dst.length` bytes at `position`; returns how many (0 at the end). */
  read(dst: Uint8Array, position: number): number;
  /** Writes all of `src` at `position`. */
  write(src: Uint8Array, position: number): void;
  truncate(size: number): void;
  sync(): void;
  close(): void;
  /**
   * Set when the open file is not a regular file but a device, a pipe or a socket. As on POSIX,
   * O_TRUNC leaves it alone; one that cannot seek (a pipe, a terminal) ignores positions and
   * answers seeks with ESPIPE.
   */
  readonly special?: SpecialFile;
}

export interface SpecialFile {
  /** BLOCK_DEVICE, CHARACTER_DEVICE, SOCKET_STREAM, or UNKNOWN for a FIFO (WASI preview1 has no FIFO type). */
  readonly type: FileType;
  readonly seekable: boolean;
}

export interface OpenMode {
  read: boolean;
  write: boolean;
}

export interface NodeStat {
  type: FileType;
  size: number;
  ino: bigint;
  mtimeNs: bigint;
}

export interface FileNode {
  readonly kind: "file";
  stat(): NodeStat;
  open(mode: OpenMode): FileStorage;
}

export interface DirNode {
  readonly kind: "dir";
  stat(): NodeStat;
  /** The child called `name`, or undefined. `follow` = follow a final symbolic link (host only). */
  lookup(name: string, follow: boolean): Node | undefined;
  /** Creates an empty file; fails with EXIST when `name` is taken. */
  createFile(name: string): FileNode;
  createDirectory(name: string): void;
  remove(name: string): void;
  /** Moves child `name` to `to`/`toName`, replacing a file there. */
  rename(name: string, to: DirNode, toName: string): void;
  names(): string[];
  readlink(name: string): string;
  symlink(target: string, name: string): void;
}

export type Node = FileNode | DirNode;

let nextIno = 1n;
/** Inode numbers for in-memory nodes: unique within this JS realm. */
export function newIno(): bigint {
  return nextIno++;
}
