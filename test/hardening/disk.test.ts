/**
 * A full disk and a read-only folder, on a small tmpfs mounted for the test (needs root; skipped
 * with a message otherwise): a clear one-line error, the original untouched, no partial bundle,
 * no partial plaintext, no temp file left behind.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptBytes } from "../../src/index.js";
import { hostKey, type TestKey } from "../helpers/keys.js";
import { cli, type CliResult } from "../helpers/cli.js";
import { errorLines, scratch, sha, tree } from "./util.js";

const root = scratch("disk");
const mnt = path.join(root.dir, "mnt");
fs.mkdirSync(mnt);

/** Mounts the 8 MiB tmpfs at collection time, so that the suite can be skipped with a reason. */
function mount(): string | undefined {
  if (process.getuid?.() !== 0) return "not root";
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m,mode=0755", "tmpfs", mnt], { stdio: "pipe" });
    return undefined;
  } catch (e) {
    return `mount -t tmpfs failed: ${(e as { stderr?: Buffer }).stderr?.toString().trim() ?? String(e)}`;
  }
}
const whyNot = mount();
if (whyNot !== undefined) console.warn(`disk-full / read-only tests skipped: cannot mount a tmpfs (${whyNot})`);

let lab: TestKey;
let bigBundle: Uint8Array;
const big = new Uint8Array(crypto.randomBytes(12 << 20));

beforeAll(async () => {
  lab = hostKey(root.dir, "lab");
  if (whyNot === undefined) bigBundle = await encryptBytes(big, { publicKeys: [lab.pubPem], name: "big.bin" });
});
afterAll(() => {
  if (whyNot === undefined) {
    const r = spawnSync("umount", [mnt]);
    if (r.status !== 0) spawnSync("umount", ["-l", mnt]);
  }
  root.done();
});

const remount = (mode: "ro" | "rw") => execFileSync("mount", ["-o", `remount,${mode}`, mnt], { stdio: "pipe" });

function clean(dir: string): void {
  for (const name of fs.readdirSync(dir)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
}

/** Exit 1 and one error line, which says what happened (`re`). (System errors are not typed: no debug stacks here.) */
function expectOneLine(r: CliResult, re: RegExp, what: string): void {
  expect(r.status, `${what}: ${r.stderr}`).toBe(1);
  const lines = errorLines(r.stderr);
  expect(lines, `${what}: ${r.stderr}`).toHaveLength(1);
  expect(lines[0], what).toMatch(re);
}

describe.skipIf(whyNot !== undefined)("disk full (8 MiB tmpfs)", () => {
  for (const engine of ["auto", "wasm"]) {
    it(`encrypt of a file that fits but whose bundle does not (engine ${engine}): clear error, original untouched, no bundle`, () => {
      clean(mnt);
      const original = new Uint8Array(crypto.randomBytes(5 << 20));
      fs.writeFileSync(path.join(mnt, "d.bin"), original);
      // Without --keep: the original must survive a failed encryption.
      const r = cli(["encrypt", "d.bin", "--pubkey", lab.pub, "--engine", engine], mnt);
      expectOneLine(r, /no space left on device/i, `encrypt --engine ${engine}`);
      expect(tree(mnt)).toEqual(["d.bin"]);
      expect(sha(fs.readFileSync(path.join(mnt, "d.bin")))).toBe(sha(original));
    });
  }

  it("watch --once: the file whose bundle does not fit is reported and kept whole, the next one encrypted", () => {
    clean(mnt);
    const big = new Uint8Array(crypto.randomBytes(5 << 20));
    fs.writeFileSync(path.join(mnt, "a-big.edf"), big);
    fs.writeFileSync(path.join(mnt, "b-small.csv"), "fits\n");
    const r = cli(["watch", mnt, "--pubkey", lab.pub, "--once", "--settle", "0.2"], root.dir);
    expect(r.status).toBe(1);
    expect(r.stderr.split("\n").filter((l) => l.includes("a-big.edf"))).toEqual([expect.stringMatching(/no space left on device/i)]);
    expect(r.stdout.toString()).toMatch(/b-small\.csv 5 bytes -> \S+b-small\.csv\.enc\n$/);
    expect(tree(mnt)).toEqual(["a-big.edf", "b-small.csv.enc"]); // no temp file, no claim
    expect(sha(fs.readFileSync(path.join(mnt, "a-big.edf")))).toBe(sha(big));
  });

  it("encrypt onto a disk already full: clear error, original untouched", () => {
    clean(mnt);
    fs.writeFileSync(path.join(mnt, "small.csv"), "id,rt\n1,300\n");
    const fill = fs.openSync(path.join(mnt, "filler"), "w");
    try {
      const chunk = Buffer.alloc(1 << 20);
      for (;;) fs.writeSync(fill, chunk);
    } catch {
      // full
    } finally {
      fs.closeSync(fill);
    }
    const r = cli(["encrypt", "small.csv", "--pubkey", lab.pub], mnt);
    expectOneLine(r, /no space left on device/i, "encrypt on a full disk");
    expect(tree(mnt)).toEqual(["filler", "small.csv"]);
    expect(fs.readFileSync(path.join(mnt, "small.csv"), "utf8")).toBe("id,rt\n1,300\n");
  });

  for (const engine of ["auto", "wasm"]) {
    it(`decrypt of 12 MB into the 8 MiB disk (engine ${engine}): clear error, no output, no partial plaintext`, () => {
      clean(mnt);
      const src = path.join(root.dir, "big.bin.enc");
      fs.writeFileSync(src, bigBundle);
      const r = cli(["decrypt", src, "--privkey", lab.priv, "--out", path.join(mnt, "big.bin"), "--engine", engine], root.dir);
      expectOneLine(r, /no space left on device/i, `decrypt --engine ${engine}`);
      expect(tree(mnt)).toEqual([]);
      expect(sha(fs.readFileSync(src))).toBe(sha(bigBundle));
    });
  }
});

describe.skipIf(whyNot !== undefined)("read-only folder (the tmpfs remounted read-only)", () => {
  it("encrypt in a read-only folder: clear error, original untouched, nothing written", () => {
    clean(mnt);
    fs.writeFileSync(path.join(mnt, "d.csv"), "participant data\n");
    remount("ro");
    try {
      const r = cli(["encrypt", "d.csv", "--pubkey", lab.pub], mnt);
      expectOneLine(r, /read-only file system/i, "encrypt in a read-only folder");
      expect(tree(mnt)).toEqual(["d.csv"]);
      expect(fs.readFileSync(path.join(mnt, "d.csv"), "utf8")).toBe("participant data\n");
      // decrypt into the read-only folder: refused the same way.
      const src = path.join(root.dir, "small.enc");
      const made = cli(["encrypt", path.join(mnt, "d.csv"), "--pubkey", lab.pub, "--keep", "--out", src], root.dir);
      expect(made.status, made.stderr).toBe(0);
      const d = cli(["decrypt", src, "--privkey", lab.priv, "--out", path.join(mnt, "out.csv")], root.dir);
      expectOneLine(d, /read-only file system/i, "decrypt into a read-only folder");
      expect(tree(mnt)).toEqual(["d.csv"]);
    } finally {
      remount("rw");
    }
  });

  it("original in a read-only folder, bundle elsewhere, without --keep: the bundle is kept and the one line says the original could not be removed", () => {
    clean(mnt);
    fs.writeFileSync(path.join(mnt, "d.csv"), "participant data\n");
    const out = path.join(root.dir, "ro-out.enc");
    fs.rmSync(out, { force: true });
    remount("ro");
    try {
      const r = cli(["encrypt", path.join(mnt, "d.csv"), "--pubkey", lab.pub, "--out", out], root.dir);
      expectOneLine(r, /was written and verified, but .*d\.csv could not be removed: .*read-only file system/i, "original on a read-only folder");
      expect(fs.readFileSync(path.join(mnt, "d.csv"), "utf8")).toBe("participant data\n");
      const d = cli(["decrypt", out, "--privkey", lab.priv, "--out", path.join(root.dir, "ro-back.csv")], root.dir);
      expect(d.status, d.stderr).toBe(0);
      expect(fs.readFileSync(path.join(root.dir, "ro-back.csv"), "utf8")).toBe("participant data\n");
    } finally {
      remount("rw");
    }
  });
});
