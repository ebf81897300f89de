import * as fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { FileBusyError, FileExistsError } from "../../bundle/errors.js";
import { disk, errnoCode } from "./disk.js";

/**
 * Renames and unlinks on a disk that other programs share. On Windows a file that is open in
 * another program (a spreadsheet, an editor) or being scanned (antivirus, an indexer, a sync
 * client) cannot be replaced, moved or deleted: EPERM, EBUSY or EACCES, for as long as it is held.
 */

/** The errnos of a file held by another program (and of a plain refusal: which one, only waiting tells). */
const BUSY = new Set(["EPERM", "EBUSY", "EACCES"]);
const FIRST_WAIT_MS = 10;
const LONGEST_WAIT_MS = 500;

/**
 * Runs `call`, again after 10, 20, 40... ms (at most 0.5 s apart) while it fails as busy, for
 * the disk's `busyWaitMs` (a last try at its end); then throws a FileBusyError naming `file` (what `action`
 * could not be done to).
 */
export async function whenFree<T>(file: string, action: string, call: () => T): Promise<T> {
  const giveUpAt = Date.now() + disk().busyWaitMs;
  for (let wait = FIRST_WAIT_MS; ; wait = Math.min(2 * wait, LONGEST_WAIT_MS)) {
    try {
      return call();
    } catch (e) {
      const code = errnoCode(e);
      if (code === undefined || !BUSY.has(code)) throw e;
      const left = giveUpAt - Date.now();
      if (left <= 0) {
        const seconds = Math.round(disk().busyWaitMs / 100) / 10;
        throw new FileBusyError(
          `${file} is held by another program (open in a spreadsheet or an editor, or being scanned by antivirus or a sync client): could not ${action} it for ${seconds} s (${code}); close that program and try again`,
          { cause: e },
        );
      }
      // The last wait is cut to what is left, so the call is tried for the whole time the message states.
      await sleep(Math.min(wait, left));
    }
  }
}

/** Renames `from` onto `to`, replacing it; retried while `to` (or `from`) is held by another program. */
export function replace(from: string, to: string): Promise<void> {
  return whenFree(to, "replace", () => disk().rename(from, to));
}

/**
 * Unlinks `file` (`what` it is, for the message), retried while it is held; if it stays held or
 * cannot be removed, returns a warning naming it instead of failing: for files whose removal
 * tidies up after the work is done.
 */
export async function unlinkOrWarn(file: string, what: string): Promise<string | undefined> {
  try {
    await whenFree(file, "remove", () => disk().unlink(file));
    return undefined;
  } catch (e) {
    const held = e instanceof FileBusyError;
    const why = errnoCode(held ? e.cause : e) ?? (e instanceof Error ? e.message : String(e));
    return `${file} (${what}) could not be removed (${why}${held ? ", held by another program" : ""}); remove it by hand`;
  }
}

/**
 * Renames `from` to `to` only if `to` does not exist, where the filesystem has no hard links (FAT,
 * exFAT): `to` is first created empty and exclusively (O_EXCL fails if any file, link or folder has
 * the name, so nothing can be replaced by a race), then `from` is renamed onto that placeholder,
 * which only this process can have made. A crash between the two steps leaves the empty
 * placeholder under the final name (and `from` complete under its own).
 */
export async function renameExclusive(from: string, to: string): Promise<void> {
  const d = disk();
  let reserved: fs.Stats;
  try {
    const fd = d.open(to, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    try {
      reserved = fs.fstatSync(fd);
    } finally {
      // Closed before the rename: Windows cannot replace an open file.
      d.close(fd);
    }
  } catch (e) {
    if (errnoCode(e) === "EEXIST") throw new FileExistsError(`output ${to} exists; not overwriting (use --force)`, { cause: e });
    throw e;
  }
  try {
    await replace(from, to);
  } catch (e) {
    const left = isFile(to, reserved) ? await unlinkOrWarn(to, "an empty placeholder") : undefined;
    if (left !== undefined && e instanceof Error) e.message += `; ${left}`;
    throw e;
  }
}

/** Whether `p` is still the file `st` described (same device and inode). */
function isFile(p: string, st: fs.Stats): boolean {
  try {
    const now = fs.lstatSync(p);
    return now.dev === st.dev && now.ino === st.ino;
  } catch {
    return false;
  }
}
