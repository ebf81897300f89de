import { hex } from "../../openssl/hex.js";
import { Errno, FsError, MemoryFile, type FileNode, type FileStorage, type NodeStat } from "../../wasi/index.js";
import { regular } from "./files.js";

/**
 * Outputs in the browser, for a dedicated Web Worker: random-access (the bundle writer puts the
 * payload first and the header last) in the origin-private file system through a
 * `FileSystemSyncAccessHandle`, handed back as a disk-backed `File`; in memory when OPFS is
 * missing (older browsers, private windows). Inputs: files.ts.
 */

/** `FileSystemSyncAccessHandle` (worker-only). */
interface SyncAccessHandle {
  read(buffer: Uint8Array, options?: { at?: number }): number;
  write(buffer: Uint8Array, options?: { at?: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

type SyncFileHandle = FileSystemFileHandle & { createSyncAccessHandle?: () => Promise<SyncAccessHandle> };
type ListableDirectory = FileSystemDirectoryHandle & { keys?: () => AsyncIterableIterator<string> };

/** A `FileSystemSyncAccessHandle` as virtual file storage. The node is its own storage. */
class OpfsStorage implements FileNode, FileStorage {
  readonly kind = "file";
  constructor(private readonly handle: SyncAccessHandle) {}

  stat(): NodeStat {
    return regular(this.handle.getSize());
  }

  open(): FileStorage {
    return this;
  }

  size(): number {
    return this.handle.getSize();
  }

  read(dst: Uint8Array, position: number): number {
    return this.handle.read(dst, { at: position });
  }

  write(src: Uint8Array, position: number): void {
    let done = 0;
    while (done < src.length) {
      let n: number;
      try {
        n = this.handle.write(src.subarray(done), { at: position + done });
      } catch (e) {
        if (e instanceof Error && e.name === "QuotaExceededError") throw new Error("not enough browser storage for the output file (free disk space, or use the command line for very large files)");
        throw e;
      }
      if (n <= 0) throw new FsError(Errno.IO, "OPFS write made no progress");
      done += n;
    }
  }

  truncate(size: number): void {
    this.handle.truncate(size);
  }

  sync(): void {
    this.handle.flush();
  }

  /** Several engine commands open the same output in turn: the handle stays open until `finish`. */
  close(): void {}
}

/** An output being written: a random-access virtual file, then a `File` to download. */
export interface OutputFile {
  /** Where the engine writes (and reads back). */
  readonly node: FileNode & FileStorage;
  /** "opfs" (on disk, in the browser's private storage) or "memory". */
  readonly where: "opfs" | "memory";
  /** Identifies the output for `releaseOutput` once the page is done with the download. */
  readonly id: string;
  /** Ends writing and returns the content as a `File` called `name`. */
  finish(name: string, type?: string): Promise<File>;
  /** Removes a failed output. */
  discard(): Promise<void>;
}

const SESSION_PREFIX = "opensslwrap-session-";
const randomId = () => hex(crypto.getRandomValues(new Uint8Array(8)));

let session: Promise<FileSystemDirectoryHandle | undefined> | undefined;
const outputs = new Map<string, { dir: FileSystemDirectoryHandle; name: string }>();

/**
 * This worker's folder in the origin-private file system, or undefined without OPFS sync
 * handles. The folder is named after a Web Lock held while the worker lives; folders whose lock
 * nobody holds (a closed or crashed tab) are removed on the next start.
 */
function sessionDirectory(): Promise<FileSystemDirectoryHandle | undefined> {
  session ??= (async () => {
    try {
      const storage = (globalThis.navigator as Navigator | undefined)?.storage;
      if (storage?.getDirectory === undefined) return undefined;
      const probe = (globalThis as { FileSystemFileHandle?: { prototype: SyncFileHandle } }).FileSystemFileHandle;
      if (probe?.prototype.createSyncAccessHandle === undefined) return undefined;
      const root = await storage.getDirectory();
      const name = SESSION_PREFIX + randomId();
      const locks = navigator.locks as LockManager | undefined;
      if (locks !== undefined) {
        await new Promise<void>((held) => {
          void locks.request(name, () => {
            held();
            return new Promise<never>(() => {}); // held until the worker ends
          });
        });
        await sweep(root, locks, name);
      }
      return await root.getDirectoryHandle(name, { create: true });
    } catch {
      return undefined; // e.g. SecurityError in a private window: fall back to memory
    }
  })();
  return session;
}

async function sweep(root: ListableDirectory, locks: LockManager, own: string): Promise<void> {
  if (root.keys === undefined) return;
  const held = new Set(((await locks.query()).held ?? []).map((l) => l.name));
  const stale: string[] = [];
  for await (const name of root.keys()) if (name.startsWith(SESSION_PREFIX) && name !== own && !held.has(name)) stale.push(name);
  for (const name of stale) await root.removeEntry(name, { recursive: true }).catch(() => undefined);
}

class MemoryOutput implements OutputFile {
  readonly node = new MemoryFile();
  readonly where = "memory";
  readonly id = `memory-${randomId()}`;

  async finish(name: string, type = "application/octet-stream"): Promise<File> {
    const file = new File([this.node.bytes().slice()], name, { type });
    this.node.wipe();
    return file;
  }

  async discard(): Promise<void> {
    this.node.wipe();
  }
}

class OpfsOutput implements OutputFile {
  readonly where = "opfs";
  readonly node: OpfsStorage;
  private open = true;

  constructor(
    readonly id: string,
    private readonly dir: FileSystemDirectoryHandle,
    private readonly handle: FileSystemFileHandle,
    private readonly access: SyncAccessHandle,
  ) {
    this.node = new OpfsStorage(access);
  }

  async finish(name: string, type = "application/octet-stream"): Promise<File> {
    this.close();
    const file = await this.handle.getFile();
    outputs.set(this.id, { dir: this.dir, name: this.id });
    // A File made of a File refers to the same disk-backed bytes: no copy.
    return new File([file], name, { type });
  }

  async discard(): Promise<void> {
    this.close();
    await this.dir.removeEntry(this.id).catch(() => undefined);
  }

  private close(): void {
    if (!this.open) return;
    this.open = false;
    this.access.flush();
    this.access.close();
  }
}

/** A new, empty output: in OPFS when available, else in memory (`memory: true` forces memory). */
export async function createOutput(o: { memory?: boolean } = {}): Promise<OutputFile> {
  const dir = o.memory === true ? undefined : await sessionDirectory();
  if (dir === undefined) return new MemoryOutput();
  const id = `out-${randomId()}`;
  try {
    const handle = (await dir.getFileHandle(id, { create: true })) as SyncFileHandle;
    if (handle.createSyncAccessHandle === undefined) throw new Error("no sync access handles");
    const access = await handle.createSyncAccessHandle();
    access.truncate(0);
    return new OpfsOutput(id, dir, handle, access);
  } catch {
    await dir.removeEntry(id).catch(() => undefined);
    return new MemoryOutput();
  }
}

/**
 * Removes an output's OPFS file once the page no longer needs it (its download finished or was
 * replaced). Outputs held in memory are freed with their `File`.
 */
export async function releaseOutput(id: string): Promise<void> {
  const entry = outputs.get(id);
  if (entry === undefined) return;
  outputs.delete(id);
  await entry.dir.removeEntry(entry.name).catch(() => undefined);
}

/** Where outputs go in this worker: "opfs" (streamed to browser storage) or "memory". */
export async function outputStorage(): Promise<"opfs" | "memory"> {
  return (await sessionDirectory()) === undefined ? "memory" : "opfs";
}
