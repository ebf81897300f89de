/**
 * Hostile meta-data. meta.json is bound by its SHA-256 in header.txt, which the tag covers, but
 * the tag only proves that the maker knew the one-time secret: ANYONE holding a recipient's public
 * key can make a bundle with any meta-data that passes every check. These bundles are forged here
 * with Node's crypto (util.ts `forge`), so the parser is reached with a valid tag.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decrypt, decryptBytes, FileExistsError, FormatError, readMeta, rotate } from "../../src/index.js";
import { pattern } from "../helpers/data.js";
import { makePyFileSecBundle, hostKeyPair, type HostKeyPair } from "../helpers/legacy-fixtures.js";
import { hostKey, type TestKey } from "../helpers/keys.js";
import { cliDebug, CONTROL, expectRefusedCli, forge, refused, scratch, tree } from "./util.js";

const root = scratch("meta");
let lab: TestKey;
let old: HostKeyPair;
const plaintext = pattern(1500, 11);
const base = { format: "opensslwrap-bundle", version: 2 };

beforeAll(() => {
  lab = hostKey(root.dir, "lab");
  old = hostKeyPair(2048);
});
afterAll(root.done);

const enc = (s: string) => new TextEncoder().encode(s);
let n = 0;
/** A folder holding b.enc, forged with `meta`. */
function bundleWith(meta: object | Uint8Array, firstLine?: string): { dir: string; file: string; bytes: Uint8Array } {
  const dir = path.join(root.dir, `m${n++}`);
  fs.mkdirSync(dir);
  const bytes = forge({ plaintext, recipients: [lab.pubPem], meta, firstLine }).bundle;
  const file = path.join(dir, "b.enc");
  fs.writeFileSync(file, bytes);
  return { dir, file, bytes };
}

const deep = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;

const refusedCases: [string, object | Uint8Array, RegExp][] = [
  ["not JSON", enc('{"format": "opensslwrap-bundle", "version": 2'), /not valid JSON/],
  ["not UTF-8", Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]), /not valid JSON/],
  ["100000 unclosed [", enc("[".repeat(100_000)), /not valid JSON|nested/],
  ["nested 100000 deep inside a valid object", enc(`{"format":"opensslwrap-bundle","version":2,"x":${deep(100_000)}}`), /nested more than/],
  ["history nested 5000 deep", enc(`{"format":"opensslwrap-bundle","version":2,"history":[${deep(5000)}]}`), /nested more than|history/],
  ["larger than 1 MiB", { ...base, padding: "x".repeat((1 << 20) + 10) }, /meta.json has a bad size|too large/],
  ["an array", enc("[1,2,3]"), /not opensslwrap meta-data/],
  ["a string", enc('"opensslwrap-bundle"'), /not opensslwrap meta-data/],
  ["null", enc("null"), /not opensslwrap meta-data/],
  ["format of another tool", { format: "other", version: 2 }, /not opensslwrap meta-data/],
  ["version as a string", { format: "opensslwrap-bundle", version: "2" }, /not opensslwrap meta-data/],
  ["newer meta-data version", { format: "opensslwrap-bundle", version: 3 }, /made by a newer opensslwrap/],
  ["file as a string", { ...base, file: "data.csv" }, /field file/],
  ["file.name as a number", { ...base, file: { name: 5, size: 1500 } }, /field file/],
  ["file.name as an object", { ...base, file: { name: { toString: "x" }, size: 1500 } }, /field file/],
  ["file.size as a string", { ...base, file: { name: "a.csv", size: "1500" } }, /field file/],
  ["recipients of numbers", { ...base, recipients: [1, 2] }, /field recipients/],
  ["signers as an object", { ...base, signers: { fingerprint: "x" } }, /field signers/],
  ["history as a string", { ...base, history: "none" }, /field history/],
  ["history of numbers", { ...base, history: [1] }, /field history/],
  ["history entry with a bad note", { ...base, history: [{ note: 5 }] }, /field note/],
  ["created as a number", { ...base, created: 1700000000 }, /field created/],
  ["note of 10000 characters", { ...base, note: "n".repeat(10_000) }, /note/],
  ["note of two lines", { ...base, note: "one\ntwo" }, /note/],
];

describe("meta-data that is refused (decrypt and info), nothing written", () => {
  for (const [what, meta, message] of refusedCases) {
    it(what, async () => {
      const { dir, file, bytes } = bundleWith(meta);
      const key = { key: lab.privPem };
      const e1 = await refused(decrypt(file, { privateKey: key }));
      expect(e1).toBeInstanceOf(FormatError);
      expect(e1.message).toMatch(message);
      expect(await refused(readMeta(file))).toBeInstanceOf(FormatError);
      expect(await refused(decryptBytes(bytes, { privateKey: key }))).toBeInstanceOf(FormatError);
      expect(await refused(rotate(file, key, { publicKeys: [lab.pubPem] }))).toBeInstanceOf(FormatError);
      expect(tree(dir)).toEqual(["b.enc"]);
      expect(Buffer.compare(fs.readFileSync(file), bytes)).toBe(0);
    });
  }

  it("through the CLI: decrypt, info, info --json, rotate give one line each", () => {
    const sample = refusedCases.filter(([what]) => /not JSON|inside a valid|1 MiB|file.name as a number|newer|10000/.test(what));
    for (const [what, meta, message] of sample) {
      const { dir } = bundleWith(meta);
      expectRefusedCli(cliDebug(["decrypt", "b.enc", "--privkey", lab.priv], dir), message, `decrypt: ${what}`);
      expectRefusedCli(cliDebug(["info", "b.enc"], dir), message, `info: ${what}`);
      expectRefusedCli(cliDebug(["info", "b.enc", "--json"], dir), message, `info --json: ${what}`);
      expectRefusedCli(cliDebug(["rotate", "b.enc", "--privkey", lab.priv, "--pubkey", lab.pub], dir), message, `rotate: ${what}`);
      expect(tree(dir), what).toEqual(["b.enc"]);
    }
  }, 120_000);
});

describe("format versions", () => {
  it('a newer bundle format says "made by a newer opensslwrap"; others are not bundles', async () => {
    for (const [line, message] of [
      ["opensslwrap-bundle 3", /made by a newer opensslwrap/],
      ["opensslwrap-bundle 999999", /made by a newer opensslwrap/],
      ["opensslwrap-bundle 1", /unsupported bundle format version 1/],
      ["opensslwrap-bundle 9999999", /not an opensslwrap bundle/],
      ["opensslwrap-bundle 2.1", /not an opensslwrap bundle/],
      ["opensslwrap-bundle -2", /not an opensslwrap bundle/],
    ] as const) {
      const { dir, file } = bundleWith(base, line);
      const e = await refused(decrypt(file, { privateKey: { key: lab.privPem } }));
      expect(e, line).toBeInstanceOf(FormatError);
      expect(e.message, line).toMatch(message);
      expect((await refused(readMeta(file))).message).toMatch(message);
      expect(tree(dir)).toEqual(["b.enc"]);
    }
    const { dir } = bundleWith(base, "opensslwrap-bundle 3");
    expectRefusedCli(cliDebug(["info", "b.enc"], dir), /^opensslwrap: bundle format version 3 was made by a newer opensslwrap; upgrade to read it$/);
    expectRefusedCli(cliDebug(["decrypt", "b.enc", "--privkey", lab.priv], dir), /made by a newer opensslwrap/);
  });
});

describe("meta-data that is accepted must not be trusted", () => {
  it("a forged bundle with plain meta-data decrypts (control: the forger is faithful)", async () => {
    const { file } = bundleWith({ ...base, file: { name: "forged.csv", size: plaintext.length } });
    const r = await decrypt(file, { privateKey: { key: lab.privPem } });
    expect(path.basename(r.output)).toBe("forged.csv");
    expect(Buffer.compare(fs.readFileSync(r.output), plaintext)).toBe(0);
  });

  it("recorded names never leave the bundle's folder and never carry control characters", async () => {
    for (const [name, expected] of [
      ["../../escape.csv", "escape.csv"],
      ["/etc/cron.d/evil", "evil"],
      ["..\\..\\win.csv", "win.csv"],
      ["..", "b"],
      [".", "b"],
      ["", "b"],
      ["dir/", "b"],
      ["\u001b]0;pwned\u0007title.csv", "b"],
      ["bell\u0007.csv", "b"],
      ["c1\u009b31m.csv", "b"],
      ["nul\u0000.csv", "b"],
    ] as const) {
      const { dir, file } = bundleWith({ ...base, file: { name, size: plaintext.length } });
      const r = await decrypt(file, { privateKey: { key: lab.privPem } });
      expect(r.output, JSON.stringify(name)).toBe(path.join(dir, expected));
      expect(tree(dir)).toEqual([...new Set(["b.enc", expected])].sort());
      expect(Buffer.compare(fs.readFileSync(r.output), plaintext)).toBe(0);
    }
    expect(fs.existsSync(path.join(root.dir, "escape.csv"))).toBe(false);
  });

  it("a changed recorded name is told in one warning line, with its control characters escaped (CLI)", () => {
    for (const [name, output, line] of [
      ["../../escape.csv", "escape.csv", 'the recorded name "../../escape.csv" is a path (only its last part is kept): writing escape.csv'],
      ["\u001b]0;pwned\u0007t.csv", "b", 'the recorded name "\\u001b]0;pwned\\u0007t.csv" has control characters: the output is named after the bundle'],
    ] as const) {
      const { dir } = bundleWith({ ...base, file: { name, size: plaintext.length } });
      const r = cliDebug(["decrypt", "b.enc", "--privkey", lab.priv], dir);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe(`opensslwrap: warning: ${line}\n`);
      expect(r.stdout.toString()).toBe(`${path.join(".", output)}\n`);
      expect(r.stderr).not.toMatch(CONTROL);
    }
  });

  it("a recorded name equal to the bundle's own name never replaces the bundle, even with --force", async () => {
    const { dir, file, bytes } = bundleWith({ ...base, file: { name: "b.enc", size: plaintext.length } });
    expect(await refused(decrypt(file, { privateKey: { key: lab.privPem } }))).toBeInstanceOf(FileExistsError);
    expect(await refused(decrypt(file, { privateKey: { key: lab.privPem }, force: true }))).toBeInstanceOf(FileExistsError);
    expectRefusedCli(cliDebug(["decrypt", "b.enc", "--privkey", lab.priv, "--force"], dir), /bundle itself|exists/);
    expectRefusedCli(cliDebug(["decrypt", "b.enc", "--privkey", lab.priv, "--force", "--out", "./b.enc"], dir), /bundle itself|exists/);
    expect(tree(dir)).toEqual(["b.enc"]);
    expect(Buffer.compare(fs.readFileSync(file), bytes)).toBe(0);
  });

  it("__proto__ and constructor keys pollute nothing, and survive info, decrypt and rotate", async () => {
    const { dir, file } = bundleWith(enc(`{"format":"opensslwrap-bundle","version":2,"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"history":[{"__proto__":{"polluted":2},"note":"ok"}]}`));
    const info = await readMeta(file);
    expect(info.format).toBe(2);
    await decrypt(file, { privateKey: { key: lab.privPem }, out: path.join(dir, "out.bin") });
    await rotate(file, { key: lab.privPem }, { publicKeys: [lab.pubPem] });
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
    const r = cliDebug(["info", "b.enc", "--json"], dir);
    expect(r.status, r.stderr).toBe(0);
  });

  it("control characters in accepted fields do not reach the terminal through info", () => {
    const { dir } = bundleWith({ ...base, tool: "\u001b[2J\u001b]0;owned\u0007", note: "c1 \u009b31m red", extra: "\u001b[5m" });
    for (const args of [["info", "b.enc"], ["info", "b.enc", "--json"]]) {
      const r = cliDebug(args, dir);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.toString()).not.toMatch(CONTROL);
    }
  });
});

describe("legacy meta-data", () => {
  // 20000 levels: within the gzip ratio bound (a tar under 64 KiB), far beyond what JSON.stringify survives.
  it("a pyFileSec bundle with meta-data nested 20000 deep: info and info --json work, decrypt works", async () => {
    const f = makePyFileSecBundle({ plaintext, pub: old.pub, md: "sha256", tamper: (m) => m.set("data.txt.meta", enc(`{"meta-data x": ${deep(20_000)}}`)) });
    const dir = path.join(root.dir, "legacy-deep");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "l.enc"), f.bundle);
    for (const args of [["info", "l.enc"], ["info", "l.enc", "--json"]]) {
      const r = cliDebug(args, dir);
      expect(r.status, r.stderr.slice(0, 500)).toBe(0);
    }
    const r = await decryptBytes(f.bundle, { privateKey: { key: old.priv } });
    expect(Buffer.compare(r.plaintext, plaintext)).toBe(0);
  });

  it("control characters in legacy meta-data do not reach the terminal through info", () => {
    const f = makePyFileSecBundle({ plaintext, pub: old.pub, md: "sha256", tamper: (m) => m.set("data.txt.meta", enc('{"meta-data \u001b[2J": {"clear_text": "/x/\u001b]0;t\u0007y.csv"}}')) });
    const dir = path.join(root.dir, "legacy-esc");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "l.enc"), f.bundle);
    for (const args of [["info", "l.enc"], ["info", "l.enc", "--json"]]) {
      const r = cliDebug(args, dir);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.toString()).not.toMatch(CONTROL);
    }
  });
});
