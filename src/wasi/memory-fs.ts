import { Errno, FileType, FsError } from "./errno.js";
import { newIno, type DirNode, type FileNode, type FileStorage, type Node, type NodeStat } from "./nodes.js";

/**
 * A file held in memory: keys, one-time secrets, meta-data and small outputs. The node is its own
 * storage, so every descriptor on it shares one content.
 */
export class MemoryFile implements FileNode, FileStorage {
  readonly kind = "file";
  private readonly ino = newIno();
  private buf: Uint8Array;
  private length: number;

  /** Takes `data` as the initial content without copying it. */
  constructor(data: Uint8Array = new Uint8Array(0)) {
    this.buf = data;
    this.length = data.length;
  }

  /** The current content (a view: copy it if you keep it past the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** Overwrites the whole buffer with zeros and empties the file. */
  wipe(): void {
    this.buf.fill(0);
    this.length = 0;
  }

  stat(): NodeStat {
    return { type: FileType.REGULAR_FILE, size: this.length, ino: this.ino, mtimeNs: 0n };
  }

  open(): FileStorage {
    return this;
  }

  size(): number {
    return this.length;
  }

  read(dst: Uint8Array, position: number): number {
    if (position >= this.length) return 0;
    const n = Math.min(dst.length, this.length - position);
    dst.set(this.buf.subarray(position, position + n));
    return n;
  }

  write(src: Uint8Array, position: number): void {
    const end = position + src.length;
    this.reserve(end);
    if (position > this.length) this.buf.fill(0, this.length, position);
    this.buf.set(src, position);
    this.length = Math.max(this.length, end);
  }

  truncate(size: number): void {
    if (size < this.length) this.buf.fill(0, size, this.length);
    else this.reserve(size);
    this.length = size;
  }

  sync(): void {}

  close(): void {}

  private reserve(capacity: number): void {
    if (capacity <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(capacity, this.buf.length * 2, 4096));
    grown.set(this.buf.subarray(0, this.length));
    // The old buffer may hold secrets; do not leave a copy behind for the garbage collector.
    this.buf.fill(0);
    this.buf = grown;
  }
}

/** A directory held in memory. */
export class MemoryDirectory implements DirNode {
  readonly kind = "dir";
  private readonly ino = newIno();
  private readonly children = new Map<string, Node>();

  stat(): NodeStat {
    return { type: FileType.DIRECTORY, size: 0, ino: this.ino, mtimeNs: 0n };
  }

  lookup(name: string): Node | undefined {
    return this.children.get(name);
  }

  /** Adds (or replaces) a child node. */
  set(name: string, node: Node): void {
    this.children.set(name, node);
  }

  createFile(name: string): FileNode {
    if (this.children.has(name)) throw new FsError(Errno.EXIST);
    const file = new MemoryFile();
    this.children.set(name, file);
    return file;
  }

  createDirectory(name: string): void {
    if (this.children.has(name)) throw new FsError(Errno.EXIST);
    this.children.set(name, new MemoryDirectory());
  }

  remove(name: string): void {
    const node = this.children.get(name);
    if (node === undefined) throw new FsError(Errno.NOENT);
    if (node.kind === "dir" && node.names().length > 0) throw new FsError(Errno.NOTEMPTY);
    this.children.delete(name);
  }

  rename(name: string, to: DirNode, toName: string): void {
    const node = this.children.get(name);
    if (node === undefined) throw new FsError(Errno.NOENT);
    if (!(to instanceof MemoryDirectory)) throw new FsError(Errno.XDEV);
    const target = to.children.get(toName);
    if (target?.kind === "dir") throw new FsError(Errno.ISDIR);
    this.children.delete(name);
    to.children.set(toName, node);
  }

  names(): string[] {
    return [...this.children.keys()];
  }

  readlink(name: string): string {
    throw new FsError(this.children.has(name) ? Errno.INVAL : Errno.NOENT);
  }

  symlink(): void {
    throw new FsError(Errno.NOTSUP, "symbolic links are not supported in memory");
  }
}
