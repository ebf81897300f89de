/**
 * Two runs at once on the same files: each result is complete and correct, or a clean refusal
 * (FileExistsError: "exists; not overwriting"). Never a mixed or truncated file, never a temp
 * file left behind, never a lost original.
 */
import { spawn, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptBytes, encrypt } from "../../src/index.js";
import { CLI } from "../helpers/cli.js";
import { hostKey, type TestKey } from "../helpers/keys.js";
import { errorLines, FULL, scratch, sha, sleep, spawnCli } from "./util.js";

const root = scratch("conc");
const ROUNDS = FULL ? 10 : 2;
let lab: TestKey;
let next: TestKey;
const data = new Uint8Array(crypto.randomBytes(6 << 20));
const dataSha = sha(data);

beforeAll(() => {
  lab = hostKey(root.dir, "lab");
  next = hostKey(root.dir, "next");
});
afterAll(root.done);

let n = 0;
function fresh(): string {
  const dir = path.join(root.dir, `r${n++}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "data.bin"), data);
  return dir;
}

async function both(dir: string, a: string[], b: string[] = a) {
  const x = spawnCli(a, dir);
  const y = spawnCli(b, dir);
  return Promise.all([x.done, y.done]);
}

async function opens(file: string, key: TestKey): Promise<string> {
  return sha((await decryptBytes(fs.readFileSync(file), { privateKey: { key: key.privPem } })).plaintext);
}

/** One run succeeded, the other was refused with one line saying the output exists (or both succeeded). */
function oneWins(results: { status: number | null; stderr: string }[], what: string): void {
  const ok = results.filter((r) => r.status === 0).length;
  expect(ok, `${what}: ${results.map((r) => r.stderr).join(" | ")}`).toBeGreaterThanOrEqual(1);
  for (const r of results.filter((x) => x.status !== 0)) {
    expect(r.status, what).toBe(1);
    expect(errorLines(r.stderr), what).toHaveLength(1);
    // The loser may also have read the original while the winner wiped it: its read-back check fails.
    expect(errorLines(r.stderr)[0], what).toMatch(/exists; not overwriting|no such file|read-back check failed|changed while it was being encrypted/);
  }
}

describe("two runs at once", () => {
  it(`encrypt --keep of the same file, ${ROUNDS} rounds: one bundle, complete and correct`, async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const dir = fresh();
      const r = await both(dir, ["encrypt", "data.bin", "--pubkey", lab.pub, "--keep"]);
      oneWins(r, `round ${i}`);
      expect(r.filter((x) => x.status === 0)).toHaveLength(1); // link() lets only one commit
      expect(fs.readdirSync(dir).sort()).toEqual(["data.bin", "data.bin.enc"]);
      expect(sha(fs.readFileSync(path.join(dir, "data.bin")))).toBe(dataSha);
      expect(await opens(path.join(dir, "data.bin.enc"), lab)).toBe(dataSha);
    }
  }, 120_000);

  it("encrypt without --keep of the same file: one bundle, correct; the other refused; no stray files", async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const dir = fresh();
      const r = await both(dir, ["encrypt", "data.bin", "--pubkey", lab.pub]);
      oneWins(r, `round ${i}`);
      expect(fs.readdirSync(dir)).toEqual(["data.bin.enc"]);
      expect(await opens(path.join(dir, "data.bin.enc"), lab)).toBe(dataSha);
    }
  }, 120_000);

  it("decrypt of one bundle to the same output: one complete output, the other refused", async () => {
    const dir = fresh();
    const enc = spawnCli(["encrypt", "data.bin", "--pubkey", lab.pub], dir);
    expect((await enc.done).status).toBe(0);
    for (let i = 0; i < ROUNDS; i++) {
      fs.rmSync(path.join(dir, "data.bin"), { force: true });
      const r = await both(dir, ["decrypt", "data.bin.enc", "--privkey", lab.priv]);
      oneWins(r, `round ${i}`);
      expect(r.filter((x) => x.status === 0)).toHaveLength(1);
      expect(fs.readdirSync(dir).sort()).toEqual(["data.bin", "data.bin.enc"]);
      expect(sha(fs.readFileSync(path.join(dir, "data.bin")))).toBe(dataSha);
    }
    // With --force both may replace the output: it is still one complete copy.
    const r = await both(dir, ["decrypt", "data.bin.enc", "--privkey", lab.priv, "--force"]);
    expect(r.map((x) => x.status)).toEqual([0, 0]);
    expect(fs.readdirSync(dir).sort()).toEqual(["data.bin", "data.bin.enc"]);
    expect(sha(fs.readFileSync(path.join(dir, "data.bin")))).toBe(dataSha);
  }, 120_000);

  it("rotate of one bundle twice at once: the bundle is one whole rotation, never a mix", async () => {
    const dir = fresh();
    const enc = spawnCli(["encrypt", "data.bin", "--pubkey", lab.pub], dir);
    expect((await enc.done).status).toBe(0);
    for (let i = 0; i < ROUNDS; i++) {
      const r = await both(dir, ["rotate", "data.bin.enc", "--privkey", lab.priv, "--pubkey", lab.pub, "--pubkey", next.pub]);
      expect(r.map((x) => x.status), r.map((x) => x.stderr).join(" | ")).toEqual([0, 0]);
      expect(fs.readdirSync(dir)).toEqual(["data.bin.enc"]);
      expect(await opens(path.join(dir, "data.bin.enc"), next)).toBe(dataSha);
      expect(await opens(path.join(dir, "data.bin.enc"), lab)).toBe(dataSha);
    }
  }, 120_000);

  it("a file that grows while it is encrypted (the experiment still writing it) is refused and kept", async () => {
    const dir = fresh();
    const file = path.join(dir, "data.bin");
    let appended = false;
    const e = await encrypt(file, {
      publicKeys: [lab.pubPem],
      onProgress: (done, total) => {
        if (done >= total / 2 && !appended) {
          appended = true;
          fs.appendFileSync(file, "late trial 301\n");
        }
      },
    }).catch((x: unknown) => x);
    expect(appended).toBe(true);
    expect(String(e)).toMatch(/data\.bin changed while it was being encrypted: nothing written, .*data\.bin kept/);
    expect(fs.readdirSync(dir)).toEqual(["data.bin"]);
    expect(fs.readFileSync(file).subarray(data.length).toString()).toBe("late trial 301\n");
  });

  it.skipIf(spawnSync("strace", ["-V"]).status !== 0)("a file that grows after the read-back check, before its removal, is kept (strace holds the run at each fsync)", async () => {
    const dir = fresh();
    const file = path.join(dir, "data.bin");
    // Each fsync (the bundle's temp file during the read-back check, then the folder after the
    // rename) waits 1.5 s: the line below is appended while the run is held.
    const child = spawn("strace", ["-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync", "-e", "inject=fsync:delay_enter=1500000:when=1+", process.execPath, CLI, "encrypt", "data.bin", "--pubkey", lab.pub], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    // Wait for the temp bundle to reach its full size (encryption done), then append a line.
    const started = Date.now();
    for (;;) {
      const temp = fs.readdirSync(dir).find((x) => x.startsWith(".data.bin.enc.tmp-"));
      if (temp !== undefined && fs.statSync(path.join(dir, temp)).size > data.length) break;
      if (Date.now() - started > 30_000) throw new Error("encryption did not start");
      await sleep(20);
    }
    fs.appendFileSync(file, "late trial 301\n");
    expect(await done, stderr).toBe(1);
    expect(errorLines(stderr)).toEqual([`opensslwrap: data.bin changed while it was being encrypted: data.bin.enc holds its earlier content; data.bin was kept`]);
    expect(fs.readdirSync(dir).sort()).toEqual(["data.bin", "data.bin.enc"]);
    expect(fs.readFileSync(file).subarray(data.length).toString()).toBe("late trial 301\n");
    expect(await opens(`${file}.enc`, lab)).toBe(dataSha);
  });
});
