import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { removeQuietly } from "../runtime/node/files.js";

/**
 * Claims: `.NAME.watch-claim`, created exclusively (O_EXCL) next to NAME by the watcher that is
 * about to encrypt it, removed once NAME is done. A claim is both the lock that keeps two
 * watchers of one folder (or an overlapping `--once` run) off the same file, and the journal that
 * says, after a crash, that NAME.enc next to NAME was made from NAME (see watch-files.ts). It
 * records who holds it (host, process id) and NAME's identity when it was claimed.
 */

/**
 * A file as a stat sees it: device, inode and birth time (which file: a file deleted and written
 * again under its name often gets the freed inode back, never its birth time), size and
 * modification time (which content).
 */
export interface Identity {
  dev: string;
  ino: string;
  bornNs: string;
  size: string;
  mtimeNs: string;
}

/** `file`'s identity, or undefined when it is gone or not a regular file (links and folders are left alone). */
export function identityOf(file: string): Identity | undefined {
  let st: fs.BigIntStats;
  try {
    st = fs.lstatSync(file, { bigint: true });
  } catch {
    return undefined;
  }
  if (!st.isFile()) return undefined;
  return { dev: String(st.dev), ino: String(st.ino), bornNs: String(st.birthtimeNs), size: String(st.size), mtimeNs: String(st.mtimeNs) };
}

/**
 * The same file, not replaced by another under its name. Where the filesystem keeps no birth
 * time (0), that cannot be told: not the same.
 */
export const sameFile = (a: Identity, b: Identity): boolean => a.dev === b.dev && a.ino === b.ino && a.bornNs === b.bornNs && a.bornNs !== "0";
/** The same file with the same content, as far as a stat can tell. */
export const unchanged = (a: Identity, b: Identity): boolean => a.dev === b.dev && a.ino === b.ino && a.bornNs === b.bornNs && a.size === b.size && a.mtimeNs === b.mtimeNs;

export const CLAIM_SUFFIX = ".watch-claim";
export const claimOf = (file: string): string => path.join(path.dirname(file), `.${path.basename(file)}${CLAIM_SUFFIX}`);

/** The file a claim's path claims, or undefined if it is not a claim's name. */
export function claimedBy(claim: string): string | undefined {
  const base = path.basename(claim);
  if (!base.startsWith(".") || !base.endsWith(CLAIM_SUFFIX) || base.length <= CLAIM_SUFFIX.length + 1) return undefined;
  return path.join(path.dirname(claim), base.slice(1, -CLAIM_SUFFIX.length));
}

interface ClaimRecord {
  host: string;
  pid: number;
  id: Identity;
}

function parseRecord(text: string): ClaimRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<ClaimRecord>;
    const id = r.id;
    if (typeof r.host !== "string" || typeof r.pid !== "number" || typeof id !== "object" || id === null) return undefined;
    if (![id.dev, id.ino, id.bornNs, id.size, id.mtimeNs].every((v) => typeof v === "string")) return undefined;
    return { host: r.host, pid: r.pid, id };
  } catch {
    return undefined;
  }
}

/** Held claims are touched this often, so that watchers on other machines can tell them from abandoned ones. */
const HEARTBEAT_MS = 30_000;
/**
 * A claim not touched for this long is abandoned, whoever made it (another machine's watcher
 * that crashed, or a process id since reused). Watchers sharing a network folder need clocks
 * that agree to well within this.
 */
const STALE_MS = 5 * 60_000;

/** What another process's claim on a file says: none, held by a live watcher, or abandoned (`record` undefined: unreadable). */
export type ClaimState = { state: "none" } | { state: "live" } | { state: "stale"; text: string; record?: ClaimRecord };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, but another user's
  }
}

/** This process's claims: taking, inspecting others', taking over abandoned ones, releasing. */
export class Claims {
  private readonly held = new Set<string>();
  private readonly host = os.hostname();
  private readonly timer = setInterval(() => this.heartbeat(), HEARTBEAT_MS);

  constructor() {
    this.timer.unref();
  }

  /** Claims `file` (as `id` describes it); false if a claim is there already. */
  take(file: string, id: Identity): boolean {
    const claim = claimOf(file);
    let fd: number;
    try {
      fd = fs.openSync(claim, "wx", 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw new Error(`cannot create ${claim}: ${(e as Error).message}`, { cause: e });
    }
    try {
      fs.writeSync(fd, JSON.stringify({ host: this.host, pid: process.pid, id } satisfies ClaimRecord));
    } catch (e) {
      fs.closeSync(fd);
      removeQuietly(claim);
      throw new Error(`cannot write ${claim}: ${(e as Error).message}`, { cause: e });
    }
    fs.closeSync(fd);
    this.held.add(claim);
    return true;
  }

  release(file: string): void {
    const claim = claimOf(file);
    if (!this.held.delete(claim)) return;
    removeQuietly(claim);
  }

  /**
   * Another process's claim on `file`. Abandoned: untouched for STALE_MS, or made on this machine
   * by a process that has ended (or by this process's id in an earlier life). A claim that cannot
   * be read is live while young (its maker is writing it) and abandoned once old.
   */
  inspect(file: string): ClaimState {
    const claim = claimOf(file);
    if (this.held.has(claim)) return { state: "live" };
    let text: string;
    let age: number;
    try {
      text = fs.readFileSync(claim, "utf8");
      age = Date.now() - fs.statSync(claim).mtimeMs;
    } catch {
      return { state: "none" };
    }
    const record = parseRecord(text);
    const ended = record !== undefined && record.host === this.host && (record.pid === process.pid || !alive(record.pid));
    return age > STALE_MS || ended ? { state: "stale", text, record } : { state: "live" };
  }

  /**
   * Replaces an abandoned claim by this process's, for the same identity (the journal stays
   * true should this process die too). False if another watcher was quicker. Two watchers that
   * both found it abandoned could still both get here; the bundle's no-clobber rename keeps
   * them from both writing it.
   */
  takeOver(file: string, stale: Extract<ClaimState, { state: "stale" }>): boolean {
    const claim = claimOf(file);
    try {
      if (fs.readFileSync(claim, "utf8") !== stale.text) return false;
      fs.unlinkSync(claim);
    } catch {
      return false;
    }
    if (stale.record === undefined) return true; // nothing to keep: the caller goes on without a claim
    return this.take(file, stale.record.id);
  }

  /** Stops the heartbeat. Claims still held stay on disk: the next run recovers their files. */
  close(): void {
    clearInterval(this.timer);
  }

  private heartbeat(): void {
    const now = new Date();
    for (const claim of this.held) {
      try {
        fs.utimesSync(claim, now, now);
      } catch {
        // removed by hand: the file's bundle is still guarded by the no-clobber rename
      }
    }
  }
}
