import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { disk, errnoCode } from "./disk.js";

/**
 * Temporary names that say who owns them, and the removal of those whose owner is gone (a run
 * killed, a power cut). A temp file is `.NAME.tmp-HOST-PID-START-RAND` next to NAME (an output
 * being written, a bundle being rotated, a stdin spool), an original moved aside to be wiped on
 * Windows `.NAME.wipe-HOST-PID-START-RAND`:
 *  - HOST: 4 hex digits of the SHA-256 of the machine's host name (a folder on a network share or
 *    a USB stick is written from several machines: only this machine's processes can be asked);
 *  - PID: the owner's process id, base 36;
 *  - START: when the owner started, seconds since 1970, base 36 (a process id is reused);
 *  - RAND: 6 random hex digits.
 * Short and portable (letters, digits, dots and dashes: valid on FAT, NTFS, APFS and ext4).
 */

const PATTERN = /^\.(.+)\.(tmp|wipe)-([0-9a-f]{4})-([0-9a-z]{1,9})-([0-9a-z]{1,9})-[0-9a-f]{6}$/;

/** How far two readings of one process's start time may differ (clock steps, rounding) and still be the same process. */
const SAME_START_SECONDS = 120;
/** Linux's USER_HZ: the unit of /proc/PID/stat's start time on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/**
 * This machine's tag, or undefined when the host name cannot be read (Deno without
 * `--allow-sys`): names then carry "0000" and no owner is ever judged gone, since another machine
 * sharing the folder could not be told apart.
 */
function readHostTag(): string | undefined {
  try {
    return createHash("sha256").update(os.hostname()).digest("hex").slice(0, 4);
  } catch {
    return undefined;
  }
}

/** When process `pid` started, seconds since 1970, where the system says (Linux /proc); else undefined. */
function startOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
    // Field 22, counted after the command name (field 2, in parentheses, may hold spaces).
    const ticks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    const btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync("/proc/stat", "latin1"))?.[1]);
    return Number.isFinite(ticks) && Number.isFinite(btime) && btime > 0 ? btime + ticks / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/** This process: its machine's tag and its name part, found on first use (not when the module loads: Deno asks for permissions). */
let self: { hostTag: string | undefined; owner: string } | undefined;
function me(): { hostTag: string | undefined; owner: string } {
  if (self === undefined) {
    const hostTag = readHostTag();
    const start = Math.floor(startOf(process.pid) ?? Date.now() / 1000 - process.uptime());
    self = { hostTag, owner: `${hostTag ?? "0000"}-${process.pid.toString(36)}-${start.toString(36)}` };
  }
  return self;
}

/** A temporary name next to `finalPath`, of `kind` ("tmp": being written; "wipe": an original being wiped), owned by this process. */
export function ownedTempName(finalPath: string, kind: "tmp" | "wipe"): string {
  return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${kind}-${me().owner}-${randomBytes(3).toString("hex")}`);
}

/** The names `.NAME.<kind>-<owner>-<random>` of `p` (NAME its base name) in its folder, whoever owns them. */
export function ownedNamesOf(p: string, kind: "tmp" | "wipe"): string[] {
  const dir = path.dirname(p);
  try {
    return fs
      .readdirSync(dir)
      .filter((n) => PATTERN.exec(n)?.slice(1, 3).join("\0") === `${path.basename(p)}\0${kind}`)
      .map((n) => path.join(dir, n));
  } catch {
    return [];
  }
}

/**
 * Whether the owner of a temp name is certainly gone: a process of this machine that no longer
 * runs, or (where the system tells start times) whose id now belongs to a process started at
 * another time. Unknown (another machine, a process that runs, a platform that cannot tell)
 * counts as alive: a live run's temp file is never touched.
 */
export function ownerGone(name: string): boolean {
  const m = PATTERN.exec(name);
  const host = me().hostTag;
  if (m === null || host === undefined || m[3] !== host) return false;
  const pid = parseInt(m[4] ?? "", 36);
  const start = parseInt(m[5] ?? "", 36);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    // ESRCH: no such process. EPERM: it runs, as another user. Anything else (Deno without
    // `--allow-run`): cannot tell, so alive.
    return errnoCode(e) === "ESRCH";
  }
  const now = startOf(pid);
  return now !== undefined && Math.abs(now - start) > SAME_START_SECONDS;
}

/** Overwrites the first `size` bytes of the open file `fd` with zeros (not yet synced). */
export function writeZeros(fd: number, size: number): void {
  const d = disk();
  const zeros = Buffer.alloc(Math.min(size, 1 << 20));
  for (let at = 0; at < size; at += zeros.length) {
    const length = Math.min(zeros.length, size - at);
    for (let done = 0; done < length; ) done += d.write(fd, zeros.subarray(done), length - done, at + done);
  }
}

/** Overwrites a stale temp file once with zeros (it may hold plaintext), then removes it. */
function wipeLeftover(p: string): void {
  const d = disk();
  const st = fs.lstatSync(p);
  if (!st.isFile()) return;
  // A second name: the run was killed after the output got its final name (a hard link), before
  // this one was removed. Overwriting would destroy the finished output: only the name goes.
  if (st.nlink === 1) {
    const fd = d.open(p, "r+");
    try {
      writeZeros(fd, st.size);
      fs.fsyncSync(fd);
    } finally {
      d.close(fd);
    }
  }
  d.unlink(p);
}

/**
 * Removes the temp files in `dir` that a run killed before it could (its owner gone, see
 * `ownerGone`), each overwritten first; returns the names removed. Best effort: a file that cannot
 * be removed now (held, no permission) is left for a later run, and never fails this one.
 */
export function removeLeftovers(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!ownerGone(name)) continue;
    try {
      wipeLeftover(path.join(dir, name));
      removed.push(name);
    } catch {
      // gone meanwhile (another run removed it), held, or not ours to remove
    }
  }
  return removed;
}

const swept = new Set<string>();

/**
 * Before a run first writes to `dir`: removes its leftovers (once per folder and process) and
 * says so in one line through `onWarning`.
 */
export function sweepOnce(dir: string, onWarning: ((message: string) => void) | undefined): void {
  const key = path.resolve(dir);
  if (swept.has(key)) return;
  swept.add(key);
  const removed = removeLeftovers(key);
  if (removed.length === 0) return;
  const shown = removed.slice(0, 3).join(", ") + (removed.length > 3 ? `, and ${removed.length - 3} more` : "");
  onWarning?.(`removed ${removed.length} temporary file(s) left in ${dir} by an interrupted opensslwrap run (overwritten first): ${shown}`);
}
