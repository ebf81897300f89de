import * as fs from "node:fs";
import * as path from "node:path";
import type { FileNode } from "../../wasi/index.js";
import { commit, createTemp, refuseExisting, removeQuietly, type TempFile } from "./files.js";
import { sweepOnce } from "./leftovers.js";

/**
 * An output written under a temporary name next to its final one, and renamed there only when
 * complete (`commit`); on failure removed (`discard`), with the disk's failure named.
 */
export class TempOutput {
  private constructor(
    private readonly temp: TempFile,
    readonly finalPath: string,
    private readonly overwrite: boolean,
  ) {}

  /**
   * Refuses an existing `finalPath` unless `overwrite`; creates the temp file (0600). The first
   * time in a process that a folder is written to, the temp files a killed run left there are
   * removed first (`onWarning` is told).
   */
  static create(finalPath: string, overwrite: boolean, onWarning?: (message: string) => void): TempOutput {
    sweepOnce(path.dirname(finalPath), onWarning);
    if (!overwrite) refuseExisting(finalPath);
    return new TempOutput(createTemp(finalPath), finalPath, overwrite);
  }

  get storage(): TempFile["storage"] {
    return this.temp.storage;
  }

  node(): FileNode {
    return this.temp.storage.node();
  }

  /**
   * Makes the file durable and gives it its final name (without `overwrite`, never replacing a
   * file). Returns a warning when it is done but its temporary name could not be removed.
   */
  async commit(): Promise<string | undefined> {
    await this.temp.storage.durable();
    this.temp.storage.close();
    return commit(this.temp.path, this.finalPath, this.overwrite);
  }

  /** Removes the temp file after `cause`; returns what to report: `cause`, or the disk's failure behind it. */
  async discard(cause: unknown): Promise<unknown> {
    const storage = this.temp.storage;
    await storage.settle();
    try {
      storage.close();
    } catch {
      // already closed
    }
    const full = diskFull(this.temp.path);
    removeQuietly(this.temp.path);
    // The wasm engine reports a full disk only as "error writing output file": say what it was.
    const message = cause instanceof Error ? cause.message : String(cause);
    if (full && !/ENOSPC|no space/i.test(message)) return new Error(`no space left on device: ${this.finalPath} not written (${message})`, { cause });
    // A failed write or fsync of the temp file (e.g. EIO) said only what failed, or (the wasm
    // engine) "error writing output file": say where, and why.
    const io = storage.ioError;
    if (io !== undefined) return new Error(`${this.finalPath} could not be written (${io.message}); nothing was written`, { cause });
    return cause;
  }
}

/** Runs `body` on a temp output for `finalPath`; commits it on success (`onWarning` told of a leftover name), discards it on failure. */
export async function viaTemp<T>(finalPath: string, overwrite: boolean, body: (out: TempOutput) => Promise<T>, onWarning?: (message: string) => void): Promise<T> {
  const out = TempOutput.create(finalPath, overwrite, onWarning);
  try {
    const result = await body(out);
    const warning = await out.commit();
    if (warning !== undefined) onWarning?.(warning);
    return result;
  } catch (e) {
    throw await out.discard(e);
  }
}

/** Whether the filesystem holding `p` has no space left (checked while the failed temp file still fills it). */
function diskFull(p: string): boolean {
  try {
    const s = fs.statfsSync(path.dirname(p));
    return s.bavail === 0 || s.bfree === 0;
  } catch {
    return false;
  }
}
