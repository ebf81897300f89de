/**
 * No leftovers after a crash: temp names carry their owner (host, pid, start time), a run removes
 * the temp files of dead owners in the folders it writes to (overwritten first) and says so in one
 * line, and never touches a live owner's. The library's judgement of owners, then the real CLI
 * SIGKILLed at several points of encrypt, decrypt, rotate and `encrypt -`, and a second run.
 */
import { spawn, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ownedTempName, ownerGone, removeLeftovers } from "../../src/runtime/node/leftovers.js";
import { CLI } from "../helpers/cli.js";
import { hostKey, type TestKey } from "../helpers/keys.js";
import { scratch, sha, sleep } from "./util.js";

const root = scratch("leftovers");
let lab: TestKey;
let next: TestKey;
const SIZE = 24 << 20;
let original: Uint8Array;
let bundle: Uint8Array;

beforeAll(() => {
  lab = hostKey(root.dir, "lab");
  next = hostKey(root.dir, "next");
  original = new Uint8Array(crypto.randomBytes(SIZE));
  fs.writeFileSync(path.join(root.dir, "seed.bin"), original);
  const r = spawnSync(process.execPath, [CLI, "encrypt", "seed.bin", "--pubkey", lab.pub, "--keep"], { cwd: root.dir });
  expect(r.status, r.stderr.toString()).toBe(0);
  bundle = fs.readFileSync(path.join(root.dir, "seed.bin.enc"));
});
afterAll(() => root.done());

let n = 0;
function fresh(files: Record<string, Uint8Array> = {}): string {
  const dir = path.join(root.dir, `d${n++}`);
  fs.mkdirSync(dir);
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
  return dir;
}

/** The temp name a process that has exited would have used (its pid is free now). */
function deadOwnersName(final: string): string {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", `import { ownedTempName } from ${JSON.stringify(new URL("../../dist/runtime/node/leftovers.js", import.meta.url).href)}; console.log(ownedTempName(${JSON.stringify(final)}, "tmp"))`], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

/** This process's name with one of its owner fields (1 host, 2 pid, 3 start) replaced. */
function withField(name: string, field: 1 | 2 | 3, value: string): string {
  const m = /^(.*\.tmp-)([0-9a-f]{4})-([0-9a-z]+)-([0-9a-z]+)-([0-9a-f]{6})$/.exec(name);
  if (m === null) throw new Error(name);
  const parts = [m[2], m[3], m[4]];
  parts[field - 1] = value;
  return `${m[1]}${parts.join("-")}-${m[5]}`;
}

describe("temp names and their owners", () => {
  it("are short and portable, and name this machine, this process and its start", () => {
    const name = path.basename(ownedTempName(path.join("folder", "P007_s1.csv.enc"), "tmp"));
    expect(name).toMatch(/^\.P007_s1\.csv\.enc\.tmp-[0-9a-f]{4}-[0-9a-z]{1,9}-[0-9a-z]{1,9}-[0-9a-f]{6}$/);
    expect(name.length - ".P007_s1.csv.enc".length).toBeLessThanOrEqual(36);
    expect(name.split("-")[2]).toBe(process.pid.toString(36));
    expect(path.basename(ownedTempName("x", "wipe"))).toMatch(/^\.x\.wipe-/);
  });

  it("a live owner is never judged gone: this process, a process of another user's start, another machine", () => {
    const mine = path.basename(ownedTempName("data.csv", "tmp"));
    expect(ownerGone(mine)).toBe(false);
    // Another machine's process cannot be asked: kept, whatever its pid.
    expect(ownerGone(withField(mine, 1, mine.split("-")[1] === "0000" ? "ffff" : "0000"))).toBe(false);
    // Names that are not ours (older random names, other programs' files) are never touched.
    for (const other of [".data.csv.tmp-0123456789ab", "data.csv", ".data.csv.tmp-zz", ".x.tmp-aaaa-1-1"]) expect(ownerGone(other), other).toBe(false);
  });

  it("an exited owner is gone; on Linux a reused pid is told apart by its start time", () => {
    expect(ownerGone(path.basename(deadOwnersName("data.csv")))).toBe(true);
    if (process.platform !== "linux") return;
    const mine = path.basename(ownedTempName("data.csv", "tmp"));
    const start = parseInt(mine.split("-")[3] ?? "", 36);
    expect(ownerGone(withField(mine, 3, (start - 3600).toString(36)))).toBe(true);
    expect(ownerGone(withField(mine, 3, (start + 30).toString(36)))).toBe(false);
  });

  it("removes a dead owner's files, overwriting them first; a second name of a finished output is only unlinked", () => {
    const dir = fresh();
    const plain = crypto.randomBytes(100_000);
    const stale = path.join(dir, path.basename(deadOwnersName("out.csv")));
    fs.writeFileSync(stale, plain);
    // The committed output and its second name (killed between link and unlink).
    fs.writeFileSync(path.join(dir, "done.csv"), plain);
    const second = path.join(dir, path.basename(deadOwnersName("done.csv")));
    fs.linkSync(path.join(dir, "done.csv"), second);
    const live = ownedTempName(path.join(dir, "live.csv"), "tmp");
    fs.writeFileSync(live, plain);
    // A descriptor keeps the stale file's blocks readable after its name is gone.
    const fd = fs.openSync(stale, "r");
    try {
      expect(removeLeftovers(dir).sort()).toEqual([path.basename(stale), path.basename(second)].sort());
      const after = Buffer.alloc(plain.length);
      fs.readSync(fd, after, 0, after.length, 0);
      expect(after.equals(Buffer.alloc(plain.length)), "overwritten with zeros").toBe(true);
    } finally {
      fs.closeSync(fd);
    }
    expect(fs.readdirSync(dir).sort()).toEqual(["done.csv", path.basename(live)].sort());
    expect(fs.readFileSync(path.join(dir, "done.csv")).equals(plain)).toBe(true);
  });
});

// --- the real CLI, killed, then run again -------------------------------------------------------

/** Starts the CLI; SIGKILLs it once `when(dir)` holds (polled), or lets it finish. */
async function killWhen(args: string[], dir: string, when: (names: string[]) => boolean, input?: Uint8Array): Promise<boolean> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: [input === undefined ? "ignore" : "pipe", "ignore", "ignore"] });
  const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on("close", (_code, signal) => resolve(signal)));
  if (input !== undefined && child.stdin !== null) {
    child.stdin.on("error", () => undefined); // EPIPE once killed
    child.stdin.end(input);
  }
  for (let exited = false; !exited; ) {
    if (when(fs.readdirSync(dir))) {
      child.kill("SIGKILL");
      break;
    }
    exited = child.exitCode !== null || child.signalCode !== null;
    await sleep(2);
  }
  return (await closed) === "SIGKILL";
}

const tempOf = (names: string[]) => names.filter((x) => /\.tmp-/.test(x));
/** The size of the first temp file (0 when none, or gone). */
function tempSize(dir: string, names: string[]): number {
  const t = tempOf(names)[0];
  try {
    return t === undefined ? 0 : fs.statSync(path.join(dir, t)).size;
  } catch {
    return 0;
  }
}

const run = (args: string[], dir: string, input?: Uint8Array) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: "utf8", input });
const notice = /^opensslwrap: warning: removed (\d+) temporary file\(s\) left in \. by an interrupted opensslwrap run \(overwritten first\): \.\S+/m;

describe("the CLI killed at several points, then a second run", () => {
  const cases = [
    { verb: "decrypt", files: () => ({ "data.bin.enc": bundle }), args: () => ["decrypt", "data.bin.enc", "--privkey", lab.priv, "--force"], output: "data.bin" },
    { verb: "encrypt", files: () => ({ "data.bin": original }), args: () => ["encrypt", "data.bin", "--pubkey", lab.pub, "--keep"], output: "data.bin.enc" },
    { verb: "rotate", files: () => ({ "data.bin.enc": bundle }), args: () => ["rotate", "data.bin.enc", "--privkey", lab.priv, "--pubkey", next.pub], output: "data.bin.enc" },
  ];
  const points: [string, (dir: string, names: string[]) => boolean][] = [
    ["as its temp file appears", (_dir, names) => tempOf(names).length > 0],
    ["half way through its temp file", (dir, names) => tempSize(dir, names) >= SIZE / 2],
  ];
  for (const c of cases) {
    it(`${c.verb}: the second run removes what the killed one left, in one line, and succeeds`, async () => {
      let kills = 0;
      for (const [what, when] of points) {
        const dir = fresh(c.files());
        const killed = await killWhen(c.args(), dir, (names) => when(dir, names));
        if (!killed) continue; // finished first: nothing to clean
        kills++;
        const left = tempOf(fs.readdirSync(dir));
        expect(left.length, `${what}: the kill left its temp file`).toBeGreaterThan(0);
        const again = run(c.args(), dir);
        expect(again.status, `${what}: ${again.stderr}`).toBe(0);
        expect(tempOf(fs.readdirSync(dir)), what).toEqual([]);
        const lines = again.stderr.split("\n").filter((l) => l.includes("interrupted opensslwrap run"));
        expect(lines, what).toHaveLength(1);
        expect(lines[0], what).toMatch(notice);
        // And a third run has nothing to say.
        if (c.verb === "decrypt") expect(run(c.args(), dir).stderr).not.toContain("interrupted");
      }
      expect(kills, "no kill point was reached").toBeGreaterThan(0);
    }, 120_000);
  }

  it("encrypt -: a spool killed while standard input streams in is removed by the next run in that folder", async () => {
    const input = new Uint8Array(crypto.randomBytes(80 << 20));
    const dir = fresh();
    const killed = await killWhen(["encrypt", "-", "--out", "s.enc", "--pubkey", lab.pub], dir, (names) => tempSize(dir, names) >= 8 << 20, input);
    expect(killed).toBe(true);
    const spool = tempOf(fs.readdirSync(dir));
    expect(spool).toHaveLength(1);
    // The spool holds no plaintext: none of the input's 4 KiB pieces appears in it.
    const held = fs.readFileSync(path.join(dir, spool[0] ?? ""));
    expect(held.length).toBeGreaterThan(0);
    for (let at = 0; at < held.length; at += 1 << 20) expect(held.indexOf(Buffer.from(input.subarray(at, at + 4096)))).toBe(-1);
    const again = run(["encrypt", "-", "--out", "s.enc", "--pubkey", lab.pub], dir, input.subarray(0, 1000));
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(notice);
    expect(fs.readdirSync(dir)).toEqual(["s.enc"]);
    const back = spawnSync(process.execPath, [CLI, "decrypt", "s.enc", "--privkey", lab.priv, "--out", "-"], { cwd: dir });
    expect(sha(back.stdout)).toBe(sha(input.subarray(0, 1000)));
  }, 120_000);
});
