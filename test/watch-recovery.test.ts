import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./helpers/cli.js";
import { hostKey, type TestKey } from "./helpers/keys.js";
import { deadPid, decryptAll, leaveClaim, lineFile, names, startWatch } from "./helpers/watch.js";
import { ownedTempName } from "../src/runtime/node/leftovers.js";

/**
 * The states a killed watcher (or a name used twice) leaves, made by hand, and what the next
 * `watch --once` makes of them (the rules in src/cli/watch-files.ts): an original is removed only
 * when a claim proves its bundle was made from it; everything else is finished or reported.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-watch-rec-"));
let lab: TestKey;
beforeAll(() => {
  lab = hostKey(tmp, "lab");
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** A folder with `file` holding `text`, and (if `bundled`) its bundle made by `encrypt --keep`. */
function state(text: string, bundled: boolean): { dir: string; file: string; bundle: string } {
  const dir = path.join(tmp, `r${n++}`);
  fs.mkdirSync(dir);
  const file = path.join(dir, "P01.csv");
  fs.writeFileSync(file, text);
  if (bundled) expect(cli(["encrypt", file, "--pubkey", lab.pub, "--keep"], dir).status).toBe(0);
  return { dir, file, bundle: `${file}.enc` };
}

const once = (dir: string, ...more: string[]) => cli(["watch", dir, "--pubkey", lab.pub, "--once", "--settle", "0.2", ...more], tmp);
const plaintextOf = (bundle: string) => decryptAll([bundle], lab.priv).get(bundle)?.toString();
const TEN_MINUTES_AGO = new Date(Date.now() - 10 * 60_000);

describe("watch after a crash", () => {
  it("bundle committed, original not yet removed (claim of a dead process): removes the original", () => {
    const s = state("session 1\n", true);
    leaveClaim(s.file, deadPid());
    const r = once(s.dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.toString()).toContain("(finished after an interrupted run)");
    expect(names(s.dir)).toEqual(["P01.csv.enc"]);
    expect(plaintextOf(s.bundle)).toBe("session 1\n");
  });

  it("the same with --keep: keeps the original, clears the claim; a claim from another machine counts once untouched for minutes", () => {
    const s = state("session 1\n", true);
    const claim = leaveClaim(s.file, 1, "another-host");
    fs.utimesSync(claim, TEN_MINUTES_AGO, TEN_MINUTES_AGO);
    const r = once(s.dir, "--keep");
    expect(r.status, r.stderr).toBe(0);
    expect(lineFile(r.stdout.toString().trim())).toBe(s.file);
    expect(names(s.dir)).toEqual(["P01.csv", "P01.csv.enc"]);
  });

  it("killed before the bundle's rename: removes the temp file and encrypts the original", () => {
    const s = state("session 2\n", false);
    leaveClaim(s.file, deadPid());
    // Named as the killed run named it (owned here by this live test process: only the claim tells it is abandoned).
    fs.writeFileSync(ownedTempName(s.bundle, "tmp"), "half a bundle");
    const r = once(s.dir);
    expect(r.status, r.stderr).toBe(0);
    expect(names(s.dir)).toEqual(["P01.csv.enc"]);
    expect(plaintextOf(s.bundle)).toBe("session 2\n");
  });

  it("killed while Windows' removal overwrote the original moved aside: that copy is removed", () => {
    const s = state("session 5\n", true);
    leaveClaim(s.file, deadPid());
    fs.renameSync(s.file, ownedTempName(s.file, "wipe"));
    const other = ownedTempName(path.join(s.dir, "other.csv"), "wipe");
    fs.writeFileSync(other, "not this file's"); // another file's: left alone
    const r = once(s.dir);
    expect(r.status, r.stderr).toBe(0);
    expect(names(s.dir)).toEqual([path.basename(other), "P01.csv.enc"]);
    expect(plaintextOf(s.bundle)).toBe("session 5\n");
  });

  it("killed after removing the original: only the claim is cleared", () => {
    const s = state("session 3\n", true);
    leaveClaim(s.file, deadPid());
    fs.unlinkSync(s.file);
    const r = once(s.dir);
    expect(r.status, r.stderr).toBe(0);
    expect(names(s.dir)).toEqual(["P01.csv.enc"]);
  });

  it("original grown in place since its claim: the stale bundle is replaced by one of the whole file", () => {
    const s = state("part one\n", true);
    leaveClaim(s.file, deadPid());
    fs.appendFileSync(s.file, "part two\n");
    const r = once(s.dir);
    expect(r.status, r.stderr).toBe(0);
    expect(names(s.dir)).toEqual(["P01.csv.enc"]);
    expect(plaintextOf(s.bundle)).toBe("part one\npart two\n");
  });

  it("original replaced by another file since its claim: both kept, reported, exit 1", () => {
    const s = state("old session\n", true);
    leaveClaim(s.file, deadPid());
    const before = fs.readFileSync(s.bundle);
    fs.unlinkSync(s.file);
    fs.writeFileSync(s.file, "new session\n");
    const r = once(s.dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/P01\.csv\.enc already exists.*P01\.csv kept/);
    expect(names(s.dir)).toEqual(["P01.csv", "P01.csv.enc"]);
    expect(fs.readFileSync(s.bundle)).toEqual(before);
  });

  it("an unreadable claim: waited for while young, cleared once old", () => {
    const s = state("session 4\n", false);
    const claim = path.join(s.dir, ".P01.csv.watch-claim");
    fs.writeFileSync(claim, "");
    fs.utimesSync(claim, TEN_MINUTES_AGO, TEN_MINUTES_AGO);
    const r = once(s.dir);
    expect(r.status, r.stderr).toBe(0);
    expect(names(s.dir)).toEqual(["P01.csv.enc"]);
  });
});

describe("watch next to existing bundles", () => {
  it("without a claim, a file next to its name's bundle is reported and kept (nothing proves the bundle holds it)", () => {
    const s = state("which one?\n", true);
    const r = once(s.dir);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n").filter((l) => l.includes("P01.csv"))).toHaveLength(1);
    expect(names(s.dir)).toEqual(["P01.csv", "P01.csv.enc"]);
  });

  it("with --keep, a file unchanged since its bundle is done; once it changes it is reported", () => {
    const s = state("kept\n", true);
    expect(once(s.dir, "--keep").status).toBe(0);
    fs.appendFileSync(s.file, "more\n");
    const r = once(s.dir, "--keep");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/P01\.csv differs from .*P01\.csv\.enc/);
    expect(plaintextOf(s.bundle)).toBe("kept\n");
  });

  it("a file claimed by a live watcher is left to it, then taken once the claim is gone", async () => {
    const s = state("busy\n", false);
    const claim = leaveClaim(s.file, process.pid);
    const w = startWatch([s.dir, "--pubkey", lab.pub, "--once", "--settle", "0.2"], tmp);
    await new Promise((r) => setTimeout(r, 1500));
    expect(names(s.dir)).toEqual([".P01.csv.watch-claim", "P01.csv"]);
    fs.unlinkSync(claim);
    expect(await w.exit).toBe(0);
    expect(names(s.dir)).toEqual(["P01.csv.enc"]);
  });
});
