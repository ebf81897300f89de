/**
 * The real CLI on the real syscall path, with the kernel's answers changed to Windows' by an
 * LD_PRELOAD shim (test/helpers/fs-shim.c, built here with the system's `cc`): a hard link
 * refused as on exFAT/FAT32 (EISDIR) or other Windows volumes (EINVAL), a rename onto an existing
 * file refused while "another program" holds it (EPERM, EBUSY), a folder that cannot be fsynced,
 * a chmod that does nothing. test/platform-disk.test.ts covers the same through the disk seam.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptBytes } from "../src/index.js";
import { CLI, type CliResult } from "./helpers/cli.js";
import { pattern } from "./helpers/data.js";
import { hostKey, type TestKey } from "./helpers/keys.js";

const SOURCE = fileURLToPath(new URL("./helpers/fs-shim.c", import.meta.url));
const compiler = ["cc", "gcc"].find((c) => spawnSync(c, ["--version"]).status === 0);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-fs-shim-"));
const shim = path.join(tmp, "fs-shim.so");
/** For the runs that are not about genkeys: a key made fast, by the host's openssl. */
let k: TestKey;
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Shim {
  link?: string;
  rename?: string;
  dirFsync?: string;
  chmod?: "ignore";
  /** Run the CLI as if on Windows (process.platform "win32" before it loads): its win32 code paths, on this kernel. */
  win32?: boolean;
}

let runs = 0;
/** Runs the CLI in `cwd` under the shim; returns the result and the failures the shim injected. */
function shimmed(args: readonly string[], cwd: string, s: Shim): CliResult & { injected: string[] } {
  const log = path.join(tmp, `log-${runs++}`);
  const env: NodeJS.ProcessEnv = { ...process.env, LD_PRELOAD: shim, OSW_SHIM_LOG: log, UV_USE_IO_URING: "0" };
  if (s.link !== undefined) env["OSW_SHIM_LINK"] = s.link;
  if (s.rename !== undefined) env["OSW_SHIM_RENAME"] = s.rename;
  if (s.dirFsync !== undefined) env["OSW_SHIM_DIR_FSYNC"] = s.dirFsync;
  if (s.chmod !== undefined) env["OSW_SHIM_CHMOD"] = s.chmod;
  const pretend = s.win32 === true ? ["--import", `data:text/javascript,Object.defineProperty(process,"platform",{value:"win32"})`] : [];
  const r = spawnSync(process.execPath, [...pretend, CLI, ...args], { cwd, env, maxBuffer: 1 << 26 });
  const injected = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter((l) => l !== "") : [];
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString(), injected };
}

function ok(r: CliResult, what: string): void {
  expect(r.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("opensslwrap: warning:")), what).toEqual([]);
  expect(r.status, `${what}: ${r.stderr}`).toBe(0);
}

/** Names in `dir`, temp and wipe names included. */
const names = (dir: string) => fs.readdirSync(dir).sort();
const read = (p: string) => new Uint8Array(fs.readFileSync(p));
let n = 0;
function folder(files: Record<string, Uint8Array>): string {
  const dir = path.join(tmp, `w${n++}`);
  fs.mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

const A = pattern(300_000, 1);
const B = pattern(5_000, 2);

describe.skipIf(compiler === undefined)("the CLI under an LD_PRELOAD shim with Windows' answers (needs cc or gcc)", () => {
  beforeAll(() => {
    execFileSync(compiler ?? "cc", ["-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", shim, SOURCE, "-ldl"]);
    k = hostKey(tmp, "k", 3072);
  });

  it("the shim is loaded and changes what Node's fs gets from the kernel", () => {
    const dir = folder({ x: B, z: A });
    const probe = `const fs=require("fs");try{fs.linkSync("x","y")}catch(e){console.log(e.code)}try{fs.renameSync("x","z")}catch(e){console.log(e.code)}fs.renameSync("x","z");console.log("ok")`;
    const r = spawnSync(process.execPath, ["-e", probe], { cwd: dir, env: { ...process.env, LD_PRELOAD: shim, OSW_SHIM_LINK: "EISDIR", OSW_SHIM_RENAME: "EBUSY:1" }, encoding: "utf8" });
    expect(r.stdout).toBe("EISDIR\nEBUSY\nok\n");
  });

  for (const link of ["EISDIR", "EINVAL"]) {
    it(`link -> ${link}, rename onto an existing file -> EPERM twice: genkeys, encrypt (--keep and not), decrypt, decrypt --force, rotate succeed and lose nothing`, () => {
      const faults: Shim = { link, rename: "EPERM:2" };
      const dir = folder({ "a.csv": A, "b.csv": B });
      const genkeys = shimmed(["genkeys", "--out-dir", "keys", "--name", "lab", "--no-passphrase", "--bits", "2048"], dir, faults);
      ok(genkeys, "genkeys");
      expect(names(path.join(dir, "keys"))).toEqual(["lab.priv.pem", "lab.pub.pem"]);
      const pub = path.join("keys", "lab.pub.pem");
      const priv = path.join("keys", "lab.priv.pem");
      ok(shimmed(["encrypt", "a.csv", "--keep", "--pubkey", pub], dir, faults), "encrypt --keep");
      expect(read(path.join(dir, "a.csv"))).toEqual(A);
      ok(shimmed(["encrypt", "b.csv", "--pubkey", pub], dir, faults), "encrypt");
      expect(names(dir)).toEqual(["a.csv", "a.csv.enc", "b.csv.enc", "keys"]);
      ok(shimmed(["decrypt", "b.csv.enc", "--privkey", priv], dir, faults), "decrypt");
      expect(read(path.join(dir, "b.csv"))).toEqual(B);
      // Never over an existing file without --force, whatever link said.
      const refused = shimmed(["decrypt", "a.csv.enc", "--privkey", priv], dir, faults);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/^opensslwrap: output a\.csv exists; not overwriting \(use --force\)\n$/);
      fs.writeFileSync(path.join(dir, "a.csv"), "edited meanwhile");
      const force = shimmed(["decrypt", "a.csv.enc", "--privkey", priv, "--force"], dir, faults);
      ok(force, "decrypt --force");
      expect(read(path.join(dir, "a.csv"))).toEqual(A);
      const rotate = shimmed(["rotate", "a.csv.enc", "--privkey", priv, "--pubkey", pub], dir, faults);
      ok(rotate, "rotate");
      ok(shimmed(["decrypt", "a.csv.enc", "--privkey", priv, "--out", "a2.csv"], dir, faults), "decrypt after rotate");
      expect(read(path.join(dir, "a2.csv"))).toEqual(A);
      expect(names(dir)).toEqual(["a.csv", "a.csv.enc", "a2.csv", "b.csv", "b.csv.enc", "keys"]);
      // The faults were met on the way: every new file fell back from link, every rename was refused twice first.
      expect(genkeys.injected.filter((l) => l.startsWith(`link ${link}`))).toHaveLength(2);
      expect(genkeys.injected.filter((l) => l.startsWith("rename EPERM"))).toHaveLength(4);
      expect(force.injected).toEqual([`rename EPERM a.csv`, `rename EPERM a.csv`]);
      expect(rotate.injected).toEqual([`rename EPERM a.csv.enc`, `rename EPERM a.csv.enc`]);
    }, 120_000);
  }

  it("a target held for longer than the wait: one line naming it and the other program, nothing replaced", () => {
    const dir = folder({ "a.csv": A });
    ok(shimmed(["encrypt", "a.csv", "--keep", "--pubkey", k.pub], dir, {}), "encrypt");
    const before = read(path.join(dir, "a.csv.enc"));
    const started = Date.now();
    const r = shimmed(["rotate", "a.csv.enc", "--privkey", k.priv, "--pubkey", k.pub], dir, { rename: "EBUSY:always" });
    expect(Date.now() - started).toBeGreaterThan(4500);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "opensslwrap: a.csv.enc is held by another program (open in a spreadsheet or an editor, or being scanned by antivirus or a sync client): could not replace it for 5 s (EBUSY); close that program and try again\n",
    );
    expect(r.injected.length).toBeGreaterThan(5);
    expect(read(path.join(dir, "a.csv.enc"))).toEqual(before);
    expect(names(dir)).toEqual(["a.csv", "a.csv.enc"]);
  }, 60_000);

  it("folder fsync refused (EPERM) and chmod ignored: encrypt and decrypt succeed", () => {
    const dir = folder({ "a.csv": A });
    const faults: Shim = { dirFsync: "EPERM", chmod: "ignore" };
    const enc = shimmed(["encrypt", "a.csv", "--pubkey", k.pub], dir, faults);
    ok(enc, "encrypt");
    expect(enc.injected.filter((l) => l.startsWith("fsync EPERM")).length).toBeGreaterThanOrEqual(2);
    ok(shimmed(["decrypt", "a.csv.enc", "--privkey", k.priv], dir, faults), "decrypt");
    expect(read(path.join(dir, "a.csv"))).toEqual(A);
  }, 60_000);

  it("as on Windows (win32 code paths) on a volume without hard links: patterns expanded, a recorded name mapped, originals removed", async () => {
    const [pub, priv] = [k.pub, k.priv];
    const dir = folder({ "a.csv": A, "b.csv": B, "notes.txt": B });
    const faults: Shim = { link: "EISDIR", rename: "EPERM:2", win32: true };
    const enc = shimmed(["encrypt", "*.csv", "--pubkey", pub], dir, faults);
    ok(enc, "encrypt *.csv");
    expect(enc.stdout.toString()).toBe("a.csv.enc\nb.csv.enc\n");
    expect(names(dir)).toEqual(["a.csv.enc", "b.csv.enc", "notes.txt"]);
    expect(shimmed(["encrypt", "*.xlsx", "--pubkey", pub], dir, faults).stderr).toBe("opensslwrap: no file matches *.xlsx\n");
    ok(shimmed(["decrypt", "*.enc", "--privkey", priv], dir, faults), "decrypt *.enc");
    expect(read(path.join(dir, "a.csv"))).toEqual(A);
    expect(read(path.join(dir, "b.csv"))).toEqual(B);
    const bundle = await encryptBytes(B, { publicKeys: [k.pubPem], name: "12:30 run?.csv" });
    fs.writeFileSync(path.join(dir, "r.enc"), bundle);
    const dec = shimmed(["decrypt", "r.enc", "--privkey", priv], dir, faults);
    ok(dec, "decrypt r.enc");
    expect(dec.stderr).toBe('opensslwrap: warning: the recorded name "12:30 run?.csv" has characters Windows forbids in file names (: ?): writing 12_30 run_.csv\n');
    expect(read(path.join(dir, "12_30 run_.csv"))).toEqual(B);
  }, 120_000);
});
