import { Errno, FsError } from "./errno.js";
import type { DirNode, FileNode, FileStorage } from "./nodes.js";
import type { PathMapper } from "./paths.js";

/** Standard input as the guest sees it: bytes pulled on demand. */
export interface InputStream {
  /** Fills `dst` from the start; returns how many bytes (0 = end of input). */
  read(dst: Uint8Array): number;
  readonly isTTY?: boolean;
}

/** Standard output or error: bytes pushed as the guest writes them. */
export interface OutputStream {
  /** `chunk` is only valid during the call (it is a view of guest memory): copy what you keep. */
  write(chunk: Uint8Array): void;
  readonly isTTY?: boolean;
}

export type Descriptor =
  | { type: "input"; stream: InputStream }
  | { type: "output"; stream: OutputStream }
  | { type: "file"; node: FileNode; storage: FileStorage; position: number; readable: boolean; writable: boolean; append: boolean }
  | { type: "dir"; dir: DirNode; preopenName?: string; mapPath?: PathMapper };

/** The guest's open descriptors, numbered as POSIX numbers them: lowest free first. */
export class DescriptorTable {
  private readonly slots: (Descriptor | undefined)[] = [];

  add(d: Descriptor): number {
    let fd = this.slots.indexOf(undefined);
    if (fd < 0) fd = this.slots.length;
    this.slots[fd] = d;
    return fd;
  }

  get(fd: number): Descriptor {
    const d = this.slots[fd];
    if (d === undefined) throw new FsError(Errno.BADF);
    return d;
  }

  close(fd: number): void {
    const d = this.get(fd);
    this.slots[fd] = undefined;
    if (d.type === "file") d.storage.close();
  }

  /** Closes everything still open (the guest may exit without closing). */
  closeAll(): void {
    for (let fd = 0; fd < this.slots.length; fd++) {
      if (this.slots[fd] !== undefined) this.close(fd);
    }
  }
}
