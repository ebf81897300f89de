import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeOpenCheck } from "../src/cli/watch-platform.js";
import { readMeta } from "../src/index.js";
import { cli } from "./helpers/cli.js";
import { hostKey, type TestKey } from "./helpers/keys.js";
import { decryptAll, lineFile, names, startWatch, stopWatch, until, watching } from "./helpers/watch.js";

/**
 * `opensslwrap watch`, the real CLI on real folders: what it encrypts and skips, files written
 * slowly, bursts, renames, a kill in the middle of a batch, two watchers on one folder. Crash
 * states made by hand are in watch-recovery.test.ts.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-watch-"));
let lab: TestKey;
beforeAll(() => {
  lab = hostKey(tmp, "lab");
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function folder(files: Record<string, string> = {}): string {
  const dir = path.join(tmp, `w${n++}`);
  fs.mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/**
 * Each named file was encrypted whole and removed: every bundle records the file's name and size;
 * a sample of at most 10 is decrypted (a decryption costs an RSA private-key operation in the
 * engine: all 200 took 20 s on a busy machine) and holds exactly the file's content.
 */
async function expectEncrypted(dir: string, content: Record<string, string>): Promise<void> {
  const files = Object.entries(content);
  for (const [name, text] of files) {
    expect(fs.existsSync(path.join(dir, name)), `${name} removed`).toBe(false);
    const info = await readMeta(path.join(dir, `${name}.enc`));
    expect(info.format === 2 ? info.meta.file : info, name).toEqual({ name: path.basename(name), size: Buffer.byteLength(text) });
  }
  const sample = files.filter((_, i) => i % Math.ceil(files.length / 10) === 0);
  const plain = decryptAll(sample.map(([name]) => path.join(dir, `${name}.enc`)), lab.priv);
  for (const [name, text] of sample) expect(plain.get(path.join(dir, `${name}.enc`))?.toString(), name).toBe(text);
}

const SETTLE = ["--settle", "0.5"];

describe("watch --once", () => {
  it("encrypts the files there, one line each, and leaves hidden files, temp files, bundles, Windows' folder files and sub-folders alone", async () => {
    const dir = folder({ "a.csv": "alpha\n", "b.txt": "beta\n", ".hidden": "h", ".a.csv.enc.tmp-0123456789ab": "t", "old.enc": "not a bundle", "Thumbs.db": "t", "desktop.ini": "d", "~$report.docx": "o", "sub/c.csv": "gamma\n" });
    const r = cli(["watch", dir, "--pubkey", lab.pub, "--once", ...SETTLE], tmp);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.toString().trim().split("\n");
    expect(lines.map(lineFile).sort()).toEqual([path.join(dir, "a.csv"), path.join(dir, "b.txt")]);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z \S+ 6 bytes -> \S+\.enc$/);
    expect(names(dir)).toEqual([".a.csv.enc.tmp-0123456789ab", ".hidden", "Thumbs.db", "a.csv.enc", "b.txt.enc", "desktop.ini", "old.enc", "sub", "~$report.docx"]);
    expect(names(path.join(dir, "sub"))).toEqual(["c.csv"]);
    await expectEncrypted(dir, { "a.csv": "alpha\n", "b.txt": "beta\n" });
  });

  it("--recursive --pattern: only matching files, in sub-folders too; --json gives one object per line; --keep keeps them", () => {
    const dir = folder({ "a.csv": "a", "A2.CSV": "a2", "notes.txt": "n", "sub/b.csv": "b", "sub/deeper/c.edf": "c", "other/d.edf": "d" });
    const r = cli(["watch", dir, "--pubkey", lab.pub, "--once", "--recursive", "--pattern", "*.csv", "--pattern", "sub/**/*.edf", "--json", "--keep", ...SETTLE], tmp);
    expect(r.status, r.stderr).toBe(0);
    const objects = r.stdout.toString().trim().split("\n").map((l) => JSON.parse(l) as { file: string; size: number; bundle: string; kept: boolean; time: string });
    expect(objects.map((o) => path.relative(dir, o.file)).sort()).toEqual(["A2.CSV", "a.csv", path.join("sub", "b.csv"), path.join("sub", "deeper", "c.edf")]);
    for (const o of objects) {
      expect(o.bundle).toBe(`${o.file}.enc`);
      expect(o.kept).toBe(true);
      expect(o.size).toBe(fs.statSync(o.file).size);
      expect(Date.parse(o.time)).not.toBeNaN();
    }
    expect(fs.existsSync(path.join(dir, "notes.txt.enc")) || fs.existsSync(path.join(dir, "other", "d.edf.enc"))).toBe(false);
    // A second run finds everything done (each kept file next to its bundle): nothing to say.
    const again = cli(["watch", dir, "--pubkey", lab.pub, "--once", "--recursive", "--pattern", "*.csv", "--keep", ...SETTLE], tmp);
    expect([again.status, again.stdout.toString()]).toEqual([0, ""]);
  });

  it("refuses a bad key, a missing key or folder with one line; --help lists the options", () => {
    const dir = folder({ "a.csv": "a" });
    fs.writeFileSync(path.join(tmp, "bad.pem"), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    const bad = cli(["watch", dir, "--pubkey", path.join(tmp, "bad.pem"), "--once"], tmp);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(cli(["watch", dir, "--once"], tmp).status).toBe(2);
    expect(cli(["watch", path.join(dir, "nope"), "--pubkey", lab.pub], tmp).status).toBe(2);
    expect(cli(["watch", dir, "--pubkey", lab.pub, "--settle", "soon"], tmp).status).toBe(2);
    expect(names(dir)).toEqual(["a.csv"]);
    const help = cli(["watch", "--help"], tmp).stdout.toString();
    for (const o of ["--pubkey", "--pattern", "--recursive", "--settle", "--keep", "--once", "--poll", "--json"]) expect(help).toContain(o);
    expect(cli(["--help"], tmp).stdout.toString()).toMatch(/^ {2}watch /m);
  });
});

/** A separate process that writes `chunks` pieces to `file`, `everyMs` apart (a longer pause after the `pauseAt`th); holding it open throughout, or reopening it for each piece. */
function slowWriter(file: string, o: { chunks: number; everyMs: number; pauseAt: number; pauseMs: number; holdOpen: boolean }): Promise<string> {
  const script = `
    const fs = require("node:fs");
    const [file, chunks, every, pauseAt, pauseMs, hold] = process.argv.slice(1);
    const fd = hold === "1" ? fs.openSync(file, "w") : undefined;
    let i = 0;
    const step = () => {
      const piece = "line " + i + " " + "x".repeat(1000) + "\\n";
      if (fd !== undefined) fs.writeSync(fd, piece); else fs.appendFileSync(file, piece);
      if (++i === Number(chunks)) { if (fd !== undefined) fs.closeSync(fd); return; }
      setTimeout(step, i === Number(pauseAt) ? Number(pauseMs) : Number(every));
    };
    step();`;
  const p = spawn(process.execPath, ["-e", script, file, String(o.chunks), String(o.everyMs), String(o.pauseAt), String(o.pauseMs), o.holdOpen ? "1" : "0"], { stdio: "ignore" });
  const expected = Array.from({ length: o.chunks }, (_, i) => `line ${i} ${"x".repeat(1000)}\n`).join("");
  return new Promise((resolve, reject) => p.on("exit", (code) => (code === 0 ? resolve(expected) : reject(new Error(`writer exited ${code}`)))));
}

describe("watch", () => {
  it.runIf(writeOpenCheck !== undefined)("waits for a file held open for writing, through pauses longer than --settle, and encrypts it once, complete", async () => {
    const dir = folder();
    const w = await watching([dir, "--pubkey", lab.pub, ...SETTLE], tmp);
    const file = path.join(dir, "slow.edf");
    const expected = await slowWriter(file, { chunks: 12, everyMs: 200, pauseAt: 6, pauseMs: 1500, holdOpen: true });
    await until("the bundle", () => fs.existsSync(`${file}.enc`) && !fs.existsSync(file));
    await new Promise((r) => setTimeout(r, 700)); // room for a second (wrong) encryption to show
    expect(await stopWatch(w)).toBe(0);
    expect(w.out.map(lineFile)).toEqual([file]);
    expect(decryptAll([`${file}.enc`], lab.priv).get(`${file}.enc`)?.toString()).toBe(expected);
  });

  it("a file reopened for each write, paced within --settle, is encrypted once, complete", async () => {
    const dir = folder();
    const w = await watching([dir, "--pubkey", lab.pub, "--settle", "1.2"], tmp);
    const file = path.join(dir, "appended.csv");
    const expected = await slowWriter(file, { chunks: 15, everyMs: 200, pauseAt: 0, pauseMs: 0, holdOpen: false });
    await until("the bundle", () => fs.existsSync(`${file}.enc`) && !fs.existsSync(file));
    expect(await stopWatch(w)).toBe(0);
    expect(w.out.map(lineFile)).toEqual([file]);
    expect(w.err.filter((l) => !l.includes("watching") && !l.includes("warning: RSA key") && !l.includes("stopped"))).toEqual([]);
    expect(decryptAll([`${file}.enc`], lab.priv).get(`${file}.enc`)?.toString()).toBe(expected);
  });

  it("200 files dropped at once are each encrypted once", async () => {
    const dir = folder();
    const w = await watching([dir, "--pubkey", lab.pub, ...SETTLE], tmp);
    const content: Record<string, string> = {};
    for (let i = 0; i < 200; i++) content[`f${String(i).padStart(3, "0")}.csv`] = `participant ${i}\n`.repeat(i + 1);
    for (const [name, text] of Object.entries(content)) fs.writeFileSync(path.join(dir, name), text);
    await until("200 bundles", () => names(dir).filter((f) => f.endsWith(".enc")).length === 200 && w.out.length === 200, 60_000);
    expect(await stopWatch(w)).toBe(0);
    expect(new Set(w.out.map(lineFile)).size).toBe(200);
    expect(names(dir).filter((f) => !f.endsWith(".enc"))).toEqual([]);
    await expectEncrypted(dir, content);
  });

  it("encrypts a file renamed into the folder, and one renamed to a matching name", async () => {
    const dir = folder({ "data.csv.part": "being written" });
    const outside = folder({ "moved.csv": "from elsewhere\n" });
    const w = await watching([dir, "--pubkey", lab.pub, "--pattern", "*.csv", ...SETTLE], tmp);
    fs.renameSync(path.join(outside, "moved.csv"), path.join(dir, "moved.csv"));
    fs.writeFileSync(path.join(dir, "data.csv.part"), "complete\n");
    fs.renameSync(path.join(dir, "data.csv.part"), path.join(dir, "data.csv"));
    await until("two bundles", () => w.out.length === 2);
    expect(await stopWatch(w)).toBe(0);
    expect(names(dir)).toEqual(["data.csv.enc", "moved.csv.enc"]);
    await expectEncrypted(dir, { "moved.csv": "from elsewhere\n", "data.csv": "complete\n" });
  });

  it("killed (SIGKILL) in the middle of a batch, a restart encrypts every file exactly once and leaves nothing behind", async () => {
    const dir = folder();
    const content: Record<string, string> = {};
    for (let i = 0; i < 150; i++) content[`s${String(i).padStart(3, "0")}.csv`] = `${i},`.repeat(4000 + i);
    for (const [name, text] of Object.entries(content)) fs.writeFileSync(path.join(dir, name), text);
    const first = startWatch([dir, "--pubkey", lab.pub, "--settle", "0.2"], tmp);
    await until("the first bundles", () => first.out.length >= 10, 60_000);
    first.proc.kill("SIGKILL");
    expect(await first.exit).toBe("SIGKILL");
    const done = first.out.map(lineFile);
    expect(done.length).toBeLessThan(150);
    const second = cli(["watch", dir, "--pubkey", lab.pub, "--once", "--settle", "0.2"], tmp);
    expect(second.status, second.stderr).toBe(0);
    const redone = second.stdout.toString().trim().split("\n").map(lineFile);
    // Each file reported by exactly one of the runs (a run that died before its line: the next one says it).
    expect([...done, ...redone].sort()).toEqual(Object.keys(content).map((f) => path.join(dir, f)).sort());
    expect(names(dir).filter((f) => !f.endsWith(".enc"))).toEqual([]); // no original, claim or temp file left
    await expectEncrypted(dir, content);
  });

  it("SIGTERM in the middle of a batch: stops once the files in progress are done, each file whole, plain or encrypted", async () => {
    const dir = folder();
    // More files than one batch takes (256): the second batch is never started.
    for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(dir, `u${String(i).padStart(3, "0")}.csv`), `${i};`.repeat(4000));
    const w = startWatch([dir, "--pubkey", lab.pub, "--settle", "0.2"], tmp);
    await until("the first bundles", () => w.out.length >= 5, 60_000);
    w.proc.kill("SIGTERM");
    expect(await w.exit).toBe(0);
    const left = names(dir);
    expect(left.filter((f) => f.startsWith("."))).toEqual([]); // no claim or temp file
    const encrypted = left.filter((f) => f.endsWith(".enc")).map((f) => f.slice(0, -4));
    expect(encrypted.length).toBeLessThan(300);
    expect(w.out.map(lineFile).sort()).toEqual(encrypted.map((f) => path.join(dir, f)));
    expect(left.length).toBe(300);
    await expectEncrypted(dir, Object.fromEntries(encrypted.map((f) => [f, `${Number(f.slice(1, 4))};`.repeat(4000)])));
  });

  it("--poll: lists the folder instead of waiting for events", async () => {
    const dir = folder();
    const w = await watching([dir, "--pubkey", lab.pub, "--poll", ...SETTLE], tmp);
    fs.writeFileSync(path.join(dir, "polled.csv"), "seen by polling\n");
    await until("the bundle", () => w.out.length === 1);
    expect(await stopWatch(w)).toBe(0);
    await expectEncrypted(dir, { "polled.csv": "seen by polling\n" });
  });

  it("two watchers on one folder: each file encrypted by exactly one of them", async () => {
    const dir = folder();
    const a = await watching([dir, "--pubkey", lab.pub, "--settle", "0.3"], tmp);
    const b = await watching([dir, "--pubkey", lab.pub, "--settle", "0.3"], tmp);
    const content: Record<string, string> = {};
    for (let i = 0; i < 100; i++) content[`t${String(i).padStart(3, "0")}.csv`] = `trial ${i}\n`;
    for (const [name, text] of Object.entries(content)) fs.writeFileSync(path.join(dir, name), text);
    await until("100 lines", () => a.out.length + b.out.length >= 100, 60_000);
    expect(await stopWatch(a)).toBe(0);
    expect(await stopWatch(b)).toBe(0);
    expect([...a.out, ...b.out].map(lineFile).sort()).toEqual(Object.keys(content).map((f) => path.join(dir, f)).sort());
    const failures = [...a.err, ...b.err].filter((l) => / \d{4}-\d\d-\d\dT/.test(l));
    expect(failures).toEqual([]);
    expect(names(dir).filter((f) => !f.endsWith(".enc"))).toEqual([]);
    await expectEncrypted(dir, content);
  });
});
