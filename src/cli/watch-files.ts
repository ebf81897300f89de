import * as fs from "node:fs";
import type { Context } from "../bundle/context.js";
import { asideOf, overwriteAndDelete, removeQuietly, tempsOf } from "../runtime/node/files.js";
import { readMeta } from "../verbs/node.js";
import type { FileResult } from "./batch.js";
import { identityOf, sameFile, unchanged, type Claims, type ClaimState, type Identity } from "./watch-claims.js";

/**
 * What `watch` does with a settled file NAME, decided from the files themselves and NAME's
 * claim (see watch-claims.ts). Bundles are only ever written by `encryptFile` (under a temp
 * name, read back and verified, then renamed without clobbering), so NAME.enc existing means a
 * verified bundle. The rules:
 *
 *  - NAME alone: encrypt it (after claiming it).
 *  - NAME.enc and a claim on NAME whose identity NAME still has: NAME.enc was made from NAME
 *    under that claim; only removing NAME was left (a crash, or a removal that failed). Done
 *    now, unless --keep; so is a copy of NAME that Windows' removal had moved aside
 *    (`.NAME.wipe-…`, the same file by inode and birth time).
 *  - NAME.enc, claimed NAME, but NAME has changed in place since (same inode and birth time):
 *    NAME.enc holds an earlier state of NAME (the writer went on after the file looked settled).
 *    NAME.enc is removed, and NAME encrypted again once it settles. If NAME was replaced by
 *    another file (or the filesystem keeps no birth time to tell), NAME.enc is kept and the rule
 *    below applies: NAME.enc may be the only copy of a file since deleted.
 *  - NAME.enc and NAME without a claim: with --keep, done if NAME is not newer than NAME.enc and
 *    has its recorded size; otherwise reported and left alone: nothing shows that NAME.enc
 *    holds this NAME (a name used again, a bundle copied in), and NAME is never removed on a guess.
 *  - An abandoned claim without NAME.enc: the run died before its bundle was renamed into place.
 *    Its temp files are removed and NAME is encrypted.
 *  - A live claim: another watcher is on NAME; look again later.
 */

/** One line of output: a file encrypted (`bundle`), a failure (`error`), or a note (`warnings` only). */
export interface FileReport {
  file: string;
  size?: number;
  bundle?: string;
  kept?: boolean;
  /** Finished after an interrupted run. */
  recovered?: boolean;
  warnings: string[];
  error?: string;
}

/**
 * What to do next with a file: encrypt it (claimed, with the identity it had); look again after
 * it settles ("later"); forget it until it changes ("done"); or try again after a back-off
 * ("retry"; `removal`: the bundle is there, only removing the original is left).
 */
export type Next = { kind: "later"; report?: FileReport } | { kind: "done"; report?: FileReport } | { kind: "retry"; report: FileReport; removal?: Identity };
export type Outcome = { kind: "encrypt"; id: Identity } | Next;

export interface FileContext {
  ctx: Context;
  claims: Claims;
  keep: boolean;
}

const bundleOf = (file: string) => `${file}.enc`;
const exists = (p: string) => fs.existsSync(p);
const message = (e: unknown) => (e instanceof Error ? e.message.split("\n")[0] : String(e)) ?? "";

/** A file that has kept `settled` for --settle seconds, and that no process holds open for writing (where that can be told). */
export async function decide(file: string, settled: Identity, c: FileContext): Promise<Outcome> {
  const now = identityOf(file);
  if (now === undefined) return vanished(file, c);
  if (!unchanged(now, settled)) return { kind: "later" };
  const claim = c.claims.inspect(file);
  if (claim.state === "live") return { kind: "later" };
  if (claim.state === "stale") return recover(file, claim, c);
  if (exists(bundleOf(file))) return besideBundle(file, c);
  if (!c.claims.take(file, now)) return { kind: "later" };
  // Between the look and the claim, another watcher may have finished this file.
  const after = identityOf(file);
  if (exists(bundleOf(file)) || after === undefined || !unchanged(after, now)) {
    c.claims.release(file);
    return { kind: "later" };
  }
  return { kind: "encrypt", id: now };
}

/** A tracked file that is gone: forgotten, unless an abandoned claim on it is left to clear up. */
export async function vanished(file: string, c: FileContext): Promise<Next> {
  const claim = c.claims.inspect(file);
  if (claim.state === "none") return { kind: "done" };
  if (claim.state === "live") return { kind: "later" };
  return recover(file, claim, c);
}

/** An abandoned claim on `file`: finished from what the files say, or cleared so that `file` goes by the rules again. */
async function recover(file: string, claim: Extract<ClaimState, { state: "stale" }>, c: FileContext): Promise<Next> {
  if (!c.claims.takeOver(file, claim)) return { kind: "later" };
  const bundle = bundleOf(file);
  if (claim.record !== undefined && exists(bundle)) {
    // Windows' removal moves the original aside to `.NAME.wipe-…` before overwriting it: killed
    // then, the claimed file (perhaps half-zeroed) is left under that name. Its bundle is there.
    const id = claim.record.id;
    for (const aside of asideOf(file)) {
      const now = identityOf(aside);
      if (now !== undefined && sameFile(now, id)) await overwriteAndDelete(aside);
    }
    return finish(file, id, c, true);
  }
  if (!exists(bundle)) for (const temp of tempsOf(bundle)) removeQuietly(temp);
  c.claims.release(file);
  return { kind: "later" };
}

/** NAME next to NAME.enc, without a claim (see the rules above). */
async function besideBundle(file: string, c: FileContext): Promise<Next> {
  const bundle = bundleOf(file);
  if (c.keep) {
    const st = fs.statSync(file);
    let recorded: number | undefined;
    try {
      const info = await readMeta(c.ctx, bundle);
      recorded = info.format === 2 ? info.meta.file?.size ?? st.size : -1;
    } catch {
      recorded = -1;
    }
    if (st.mtimeMs <= fs.statSync(bundle).mtimeMs && recorded === st.size) return { kind: "done" };
    return { kind: "done", report: { file, warnings: [], error: `${file} differs from ${bundle} (newer, or another size): not encrypted, ${bundle} is not replaced` } };
  }
  return { kind: "done", report: { file, warnings: [], error: `${bundle} already exists and nothing shows that it holds this ${file}: ${file} kept, not encrypted (move one of them away)` } };
}

/**
 * After `file`'s bundle was written under this process's claim, from `file` as `id` describes
 * it: the original removed (unless --keep), the claim released.
 */
export async function finish(file: string, id: Identity, c: FileContext, recovered = false): Promise<Next> {
  const bundle = bundleOf(file);
  const size = Number(id.size);
  const done = (warnings: string[]): Next => {
    c.claims.release(file);
    return { kind: "done", report: { file, size, bundle, kept: c.keep && identityOf(file) !== undefined, recovered, warnings } };
  };
  const now = identityOf(file);
  if (now === undefined) return done([]);
  if (!unchanged(now, id)) {
    c.claims.release(file);
    if (!sameFile(now, id)) return { kind: "later" };
    removeQuietly(bundle);
    return { kind: "later", report: { file, warnings: [`${file} changed while it was being encrypted (the writer went on after it had settled): its bundle was removed; it is encrypted again once it settles`] } };
  }
  if (c.keep) return done([]);
  try {
    const w = await overwriteAndDelete(file);
    return done(w === undefined ? [] : [w]);
  } catch (e) {
    // e.g. Windows, where the program that wrote the file may still hold it open: try again later.
    return { kind: "retry", removal: id, report: { file, warnings: [], error: `${bundle} was written and verified, but ${file} could not be removed (${message(e)}); trying again later` } };
  }
}

/**
 * After `encryptFile` on a claimed file (as `id` described it), from what is on disk: its bundle
 * there (whether or not `encryptFile` then removed the original, or failed to) is finished;
 * without one, the failure is reported.
 */
export async function afterEncrypt(file: string, id: Identity, r: FileResult, c: FileContext): Promise<Next> {
  const next = exists(bundleOf(file)) ? await finish(file, id, c) : notEncrypted(file, id, r.error ?? "not encrypted", c);
  if (next.report !== undefined && next.report.error === undefined) next.report.warnings.unshift(...r.warnings);
  return next;
}

/** `file` was not encrypted (`error`): the claim released, and the failure reported. */
function notEncrypted(file: string, id: Identity, error: string, c: FileContext): Next {
  c.claims.release(file);
  const now = identityOf(file);
  if (now === undefined) return { kind: "done", report: { file, warnings: [], error } };
  if (!unchanged(now, id)) return { kind: "later", report: { file, warnings: [`${file} changed while it was being encrypted: nothing written; it is encrypted once it settles`] } };
  return { kind: "retry", report: { file, warnings: [], error } };
}
