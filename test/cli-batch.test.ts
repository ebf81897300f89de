/**
 * Batches that go on: `encrypt`, `decrypt` and `rotate` over several inputs process every input,
 * name each failure on its own line, exit 1 if any failed, and with --json print one JSON object
 * per input and line (path, ok, output or error class and message), failures included. A failure
 * of the key itself (wrong passphrase) is one line for the whole run. The real CLI; then the
 * library's rotation of several bundles with one encrypter.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEncrypter, decryptBytes, rotate } from "../src/index.js";
import { cli } from "./helpers/cli.js";
import { pattern } from "./helpers/data.js";
import { hostKey, type TestKey } from "./helpers/keys.js";
import { make2012Bundle } from "./helpers/legacy-fixtures.js";

let tmp: string;
let lab: TestKey;
let next: TestKey;
let prot: TestKey;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "opensslwrap-batch-"));
  lab = hostKey(tmp, "lab", 3072);
  next = hostKey(tmp, "next", 3072);
  prot = hostKey(tmp, "prot", 3072, "a long lab passphrase");
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function folder(files: Record<string, Uint8Array | string>): string {
  const dir = path.join(tmp, `w${n++}`);
  fs.mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

const lines = (out: Buffer | string) => out.toString().trim().split("\n");
const jsonLines = (out: Buffer) => lines(out).map((l) => JSON.parse(l) as Record<string, unknown>);

/** Bundles A.enc and C.enc for `key`, and BAD.enc (not a bundle) between them. */
function threeBundles(key: TestKey): string {
  const dir = folder({ "A.csv": pattern(5000, 1), "C.csv": pattern(7000, 3) });
  expect(cli(["encrypt", "A.csv", "C.csv", "--pubkey", key.pub], dir).status).toBe(0);
  fs.writeFileSync(path.join(dir, "BAD.enc"), pattern(3000, 9));
  return dir;
}

describe("decrypt over several bundles", () => {
  it("goes on past a bad bundle, names it on its own line, exit 1", () => {
    const dir = threeBundles(lab);
    const r = cli(["decrypt", "A.csv.enc", "BAD.enc", "C.csv.enc", "--privkey", lab.priv], dir);
    expect(r.status).toBe(1);
    expect(lines(r.stdout)).toEqual(["A.csv", "C.csv"]);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^opensslwrap: BAD\.enc: \S.*$/)]);
    expect(fs.readFileSync(path.join(dir, "C.csv")).equals(pattern(7000, 3))).toBe(true);
  });

  it("--json: one object per bundle and line, the failure with its class and message", () => {
    const dir = threeBundles(lab);
    fs.writeFileSync(path.join(dir, "A.csv"), "exists");
    const r = cli(["decrypt", "A.csv.enc", "BAD.enc", "C.csv.enc", "missing.enc", "--privkey", lab.priv, "--json"], dir);
    expect(r.status).toBe(1);
    // The failures are also one line each on stderr, for whoever reads it.
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^opensslwrap: A\.csv\.enc: /), expect.stringMatching(/^opensslwrap: BAD\.enc: /), expect.stringMatching(/^opensslwrap: missing\.enc: /)]);
    expect(jsonLines(r.stdout)).toEqual([
      { path: "A.csv.enc", ok: false, error: { class: "FileExistsError", message: expect.stringMatching(/A\.csv exists; not overwriting/) }, warnings: [] },
      { path: "BAD.enc", ok: false, error: { class: "FormatError", message: expect.any(String) }, warnings: [] },
      { path: "C.csv.enc", ok: true, output: "C.csv", warnings: [] },
      { path: "missing.enc", ok: false, error: { class: "Error", message: expect.stringMatching(/ENOENT/) }, warnings: [] },
    ]);
  });

  it("a wrong passphrase is the key's failure: one line, the run stops, nothing written", () => {
    const dir = threeBundles(prot);
    const r = cli(["decrypt", "A.csv.enc", "C.csv.enc", "--privkey", prot.priv], dir, undefined, { ...process.env, OPENSSLWRAP_PASSPHRASE: "wrong" });
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/passphrase/i);
    expect(fs.readdirSync(dir).sort()).toEqual(["A.csv.enc", "BAD.enc", "C.csv.enc"]);
  });
});

describe("rotate over several bundles", () => {
  it("rotates each good one (a legacy one converted), names each failure, exit 1; --json per bundle", () => {
    const dir = threeBundles(lab);
    fs.writeFileSync(path.join(dir, "old.enc"), make2012Bundle({ plaintext: pattern(900, 4), pub: lab.pubPem, md: "sha256" }).bundle);
    const before = fs.readFileSync(path.join(dir, "BAD.enc"));
    const r = cli(["rotate", "A.csv.enc", "BAD.enc", "old.enc", "C.csv.enc", "--privkey", lab.priv, "--pubkey", next.pub, "--json"], dir);
    expect(r.status).toBe(1);
    const results = jsonLines(r.stdout);
    expect(results.map((x) => [x["path"], x["ok"]])).toEqual([
      ["A.csv.enc", true],
      ["BAD.enc", false],
      ["old.enc", true],
      ["C.csv.enc", true],
    ]);
    expect(results[0]).toMatchObject({ output: "A.csv.enc", recipients: [{ fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/), bits: 3072 }] });
    expect(results[1]).toMatchObject({ error: { class: "FormatError" } });
    expect(fs.readFileSync(path.join(dir, "BAD.enc")).equals(before)).toBe(true);
    for (const [bundle, out, data] of [["A.csv.enc", "A.csv", pattern(5000, 1)], ["old.enc", "data.txt", pattern(900, 4)]] as const) {
      const d = cli(["decrypt", bundle, "--privkey", next.priv], dir);
      expect(d.status, d.stderr).toBe(0);
      expect(fs.readFileSync(path.join(dir, out)).equals(data)).toBe(true);
    }
  });

  it("plain output: each rotated bundle on stdout, each failure on stderr naming it", () => {
    const dir = threeBundles(lab);
    const r = cli(["rotate", "A.csv.enc", "BAD.enc", "C.csv.enc", "--privkey", lab.priv, "--pubkey", next.pub], dir);
    expect(r.status).toBe(1);
    expect(lines(r.stdout)).toEqual(["A.csv.enc", "C.csv.enc"]);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^opensslwrap: BAD\.enc: /)]);
  });

  it("'-' is a usage error (rotate replaces in place)", () => {
    const r = cli(["rotate", "-", "--privkey", lab.priv, "--pubkey", next.pub], tmp);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot read one from standard input/);
  });
});

describe("encrypt --json: the same per-input shape", () => {
  it("a failing file is its own object; the others are encrypted; exit 1", () => {
    const dir = folder({ "a.csv": "a\n", "c.csv": "c\n", "c.csv.enc": "in the way" });
    const r = cli(["encrypt", "a.csv", "nosuch.csv", "c.csv", "--pubkey", lab.pub, "--json", "--keep"], dir);
    expect(r.status).toBe(1);
    expect(jsonLines(r.stdout)).toEqual([
      { path: "a.csv", ok: true, output: "a.csv.enc", kept: true, warnings: [] },
      { path: "nosuch.csv", ok: false, error: { class: "Error", message: expect.stringMatching(/ENOENT/) }, warnings: [] },
      { path: "c.csv", ok: false, error: { class: "FileExistsError", message: expect.stringMatching(/c\.csv\.enc exists/) }, warnings: [] },
    ]);
  });
});

describe("library: several bundles rotated with one encrypter", () => {
  it("reads the new keys once and rotates each bundle to them", async () => {
    const dir = threeBundles(lab);
    const encrypter = await createEncrypter({ publicKeys: [next.pubPem], batch: 4 });
    encrypter.expect(2);
    try {
      for (const b of ["A.csv.enc", "C.csv.enc"]) await rotate(path.join(dir, b), { key: lab.privPem }, { encrypter });
    } finally {
      encrypter.wipe();
    }
    const back = await decryptBytes(fs.readFileSync(path.join(dir, "C.csv.enc")), { privateKey: { key: next.privPem } });
    expect(Buffer.from(back.plaintext).equals(pattern(7000, 3))).toBe(true);
  });
});
