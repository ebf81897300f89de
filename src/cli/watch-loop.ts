import * as path from "node:path";
import { watch as chokidarWatch } from "chokidar";
import type { Context } from "../bundle/context.js";
import type { RsaPublicKey } from "../bundle/keys.js";
import { encryptAll, type FileResult } from "./batch.js";
import { Claims, CLAIM_SUFFIX, claimedBy, identityOf, unchanged, type Identity } from "./watch-claims.js";
import { afterEncrypt, decide, finish, vanished, type FileContext, type FileReport, type Next, type Outcome } from "./watch-files.js";
import type { WriteOpenCheck } from "./watch-platform.js";
import { filesUnder, patternTest } from "./watch-walk.js";

export interface WatchOptions {
  ctx: Context;
  /** The folder, as given (files are reported under it). */
  root: string;
  /** Globs a file must match (any of them); a glob with a slash is matched against the path under `root`, else against the name. */
  patterns: readonly string[];
  recursive: boolean;
  settleMs: number;
  keep: boolean;
  /** Process the files there at the start, then stop. */
  once: boolean;
  /** Poll the folder instead of asking the OS for change events (network folders). */
  poll: boolean;
  /** The recipients, checked once at the start. */
  publicKeys: readonly RsaPublicKey[];
  writeOpen: WriteOpenCheck | undefined;
  onReport(r: FileReport): void;
  /** A problem of the watching itself (a folder that cannot be read, ...), not of one file. */
  onProblem(message: string): void;
}

/** A file the watcher looks at: until it has settled and been dealt with. */
interface Entry {
  file: string;
  /** Order of discovery; files there at the start go first. */
  seq: number;
  initial: boolean;
  /** As last seen, and since when. */
  id?: Identity;
  since: number;
  /** When to look next. */
  due: number;
  failures: number;
  /** The bundle is written; removing the original is left (it failed before). */
  removal?: Identity;
}

/** How often a polled folder is listed. */
const POLL_MS = 1000;
/**
 * How often the whole folder is listed besides, for files whose event was lost: chokidar starts
 * watching a folder after listing it (a file created in between has no event: seen under load
 * with polling), a polled folder whose modification time has a coarse resolution (SMB, FAT)
 * misses a second file added in the same tick, and an inotify queue can overflow.
 */
const RESCAN_MS = 30_000;
const RESCAN_POLLED_MS = 5000;
/**
 * At most this many files (and bytes, but at least one file) per batch: a stop waits for the
 * batch in progress. 256 files is what the batch machinery wraps secrets for in one engine run;
 * 200 small files dropped at once were all encrypted 2.1-2.8 s after the last write, against
 * 3.0-4.1 s in batches of 64 (--settle 0.5, a busy 2-core machine).
 */
const BATCH_FILES = 256;
const BATCH_BYTES = 256 << 20;
/** A failed file is tried again after this, doubling up to RETRY_MAX_MS (or at once when it changes). */
const RETRY_MS = 30_000;
const RETRY_MAX_MS = 15 * 60_000;

const isHidden = (p: string) => path.basename(p).startsWith(".");
/**
 * Never encrypted: hidden files (opensslwrap's temp files and claims among them), bundles, and
 * what Windows and Office leave in folders (thumbnail caches, folder settings, `~$` lock files),
 * which would come back after each encryption.
 */
const skipped = (p: string) => isHidden(p) || /\.enc$/i.test(p) || /^(thumbs\.db|desktop\.ini|~\$.*)$/i.test(path.basename(p));

/**
 * Watches a folder and encrypts each matching file once it has settled. Change events (from
 * chokidar) only say which files to look at; whether a file has settled, and what to do with it,
 * is decided by looking at the disk (watch-files.ts), so a missed or repeated event costs a
 * delay, never a wrong action. One batch at a time, each through the `encrypt` batch machinery.
 */
export class Watcher {
  private readonly entries = new Map<string, Entry>();
  /** Files found done but still there (kept, or reported), with their identity then: a rescan passes them over until they change. */
  private readonly known = new Map<string, string>();
  private readonly claims = new Claims();
  private readonly ctx: FileContext;
  private readonly matchers: ((rel: string) => boolean)[];
  private seq = 0;
  private ready = false;
  private stopping = false;
  private wake: (() => void) | undefined;
  private failed = 0;

  constructor(private readonly o: WatchOptions) {
    this.ctx = { ctx: o.ctx, claims: this.claims, keep: o.keep };
    this.matchers = o.patterns.map(patternTest);
  }

  /** Finishes the batch in progress, then stops. */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  /** Runs until `stop()` (or, with `once`, until the files there at the start are dealt with); returns how many failed. */
  async run(onReady: (files: number) => void): Promise<number> {
    const fsw = chokidarWatch(this.o.root, {
      ignored: (p) => p !== this.o.root && skipped(p) && !p.endsWith(CLAIM_SUFFIX),
      depth: this.o.recursive ? undefined : 0,
      followSymlinks: false,
      usePolling: this.o.poll,
      interval: POLL_MS,
      binaryInterval: POLL_MS,
      ignorePermissionErrors: true,
    });
    try {
      for (const event of ["add", "change", "unlink"] as const) fsw.on(event, (p: string) => this.look(p));
      fsw.on("error", (e) => this.o.onProblem(e instanceof Error ? e.message : String(e)));
      await new Promise<void>((resolve) => fsw.once("ready", resolve));
      this.ready = true;
      if (this.o.once) await fsw.close();
      onReady(this.entries.size);
      const finished = () => this.stopping || (this.o.once && this.entries.size === 0);
      let rescan = Date.now() + (this.o.poll ? RESCAN_POLLED_MS : RESCAN_MS);
      while (!finished()) {
        if (!this.o.once && Date.now() >= rescan) {
          this.rescan();
          rescan = Date.now() + (this.o.poll ? RESCAN_POLLED_MS : RESCAN_MS);
        }
        await this.tick();
        if (!finished()) await this.sleep();
      }
    } finally {
      await fsw.close();
      this.claims.close();
    }
    return this.failed;
  }

  /**
   * An event on `p`: the file it concerns is looked at now. Claims count in the initial scan
   * only (an abandoned one is recovered at the start); later ones are this or another watcher's
   * work in progress, and their files' own events say what to look at.
   */
  private look(p: string): void {
    if (isHidden(p) && this.ready) return;
    const file = isHidden(p) ? claimedBy(p) : p;
    if (file === undefined || skipped(file) || !this.matches(file)) return;
    const now = Date.now();
    const e = this.entries.get(file);
    if (e !== undefined) e.due = Math.min(e.due, now);
    else this.entries.set(file, { file, seq: this.seq++, initial: !this.ready, since: now, due: now, failures: 0 });
    this.wake?.();
  }

  /** Lists the folder and looks at the files that are neither in hand nor known done as they are. */
  private rescan(): void {
    const seen = new Set<string>();
    for (const file of filesUnder(this.o.root, this.o.recursive, skipped)) {
      seen.add(file);
      if (this.entries.has(file) || !this.matches(file)) continue;
      const id = identityOf(file);
      if (id !== undefined && this.known.get(file) !== JSON.stringify(id)) this.look(file);
    }
    for (const file of this.known.keys()) if (!seen.has(file)) this.known.delete(file);
  }

  private matches(file: string): boolean {
    if (this.matchers.length === 0) return true;
    const rel = path.relative(this.o.root, file).split(path.sep).join("/");
    return this.matchers.some((m) => m(rel));
  }

  /** Sleeps until the next file is due (at least a short tick, so a burst of events is taken together). */
  private async sleep(): Promise<void> {
    if (this.stopping) return;
    const tick = Math.min(Math.max(this.o.settleMs / 4, 50), 500);
    let next = Infinity;
    for (const e of this.entries.values()) next = Math.min(next, e.due);
    const ms = Math.min(Math.max(next - Date.now(), tick), 5000);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
    this.wake = undefined;
  }

  /** Looks at the files that are due; encrypts those that have settled (up to one batch). */
  private async tick(): Promise<void> {
    const now = Date.now();
    const due = [...this.entries.values()].filter((e) => e.due <= now).sort((a, b) => Number(b.initial) - Number(a.initial) || a.seq - b.seq);
    const settled: { e: Entry; id: Identity }[] = [];
    for (const e of due) {
      if (e.removal !== undefined) {
        const removal = e.removal;
        this.apply(e, await this.guard(e, () => finish(e.file, removal, this.ctx)));
        continue;
      }
      const id = identityOf(e.file);
      if (id === undefined) {
        this.apply(e, await this.guard(e, () => vanished(e.file, this.ctx)));
      } else if (e.id === undefined || !unchanged(e.id, id)) {
        e.id = id;
        e.since = now;
        e.due = now + this.o.settleMs;
      } else if (now - e.since < this.o.settleMs) {
        e.due = e.since + this.o.settleMs;
      } else settled.push({ e, id });
    }
    const open = settled.length > 0 && this.o.writeOpen !== undefined ? this.o.writeOpen(settled.map(({ e }) => e.file)) : new Set<string>();
    const batch: { e: Entry; id: Identity }[] = [];
    let bytes = 0;
    for (const { e, id } of settled) {
      if (open.has(e.file)) {
        e.due = now + this.o.settleMs; // still being written
      } else if (this.stopping || batch.length >= BATCH_FILES || (batch.length > 0 && bytes >= BATCH_BYTES)) {
        e.due = now; // the next batch
      } else {
        const o = await this.guard(e, () => decide(e.file, id, this.ctx));
        if (o.kind !== "encrypt") this.apply(e, o);
        else {
          batch.push({ e, id: o.id });
          bytes += Number(o.id.size);
        }
      }
    }
    if (batch.length > 0) await this.encrypt(batch);
  }

  /**
   * Encrypts a batch with `encrypt`'s machinery (worker threads for many files, one-time
   * secrets wrapped many per engine run; each original removed once its bundle is verified),
   * then looks at what each file's attempt left on disk (`afterEncrypt`).
   */
  private async encrypt(batch: { e: Entry; id: Identity }[]): Promise<void> {
    const files = batch.map((b) => b.e.file);
    let next = 0;
    let settling = Promise.resolve();
    const settle = (r: FileResult) => {
      const b = batch[next++];
      if (b === undefined) return;
      settling = settling.then(async () => this.apply(b.e, await this.guard(b.e, () => afterEncrypt(b.e.file, b.id, r, this.ctx))));
    };
    try {
      await encryptAll(this.o.ctx, files, batch.map((b) => Number(b.id.size)), { publicKeys: this.o.publicKeys, keep: this.o.keep }, { onResult: settle });
    } catch (e) {
      const error = e instanceof Error ? e.message.split("\n")[0] ?? "" : String(e);
      while (next < batch.length) settle({ file: files[next] ?? "", warnings: [], error });
    }
    await settling;
  }

  /** What `step` decided for `e`; a failure it met (a full disk, a file gone in between, ...) reported as `e`'s, to be tried again. */
  private async guard<T extends Outcome>(e: Entry, step: () => Promise<T>): Promise<T | Next> {
    try {
      return await step();
    } catch (err) {
      return { kind: "retry", report: { file: e.file, warnings: [], error: err instanceof Error ? err.message.split("\n")[0] ?? "" : String(err) } };
    }
  }

  private apply(e: Entry, o: Next): void {
    if (o.report !== undefined) {
      if (o.report.error !== undefined) this.failed++;
      this.o.onReport(o.report);
    }
    if (o.kind === "done" || (o.kind === "retry" && this.o.once)) {
      this.entries.delete(e.file);
      const id = identityOf(e.file);
      if (id === undefined) this.known.delete(e.file);
      else this.known.set(e.file, JSON.stringify(id));
      return;
    }
    if (o.kind === "retry") {
      e.removal = o.removal;
      e.due = Date.now() + Math.min(RETRY_MS * 2 ** e.failures++, RETRY_MAX_MS);
    } else {
      e.removal = undefined;
      e.due = Date.now() + Math.max(this.o.settleMs, 1000);
    }
  }
}
