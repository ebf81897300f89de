import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decrypt,
  decryptBytes,
  DecryptError,
  encrypt,
  encryptBytes,
  FileExistsError,
  FormatError,
  IntegrityError,
  KeyTooShortError,
  PassphraseError,
  PrivateKeyError,
  PublicKeyError,
  readMeta,
  rotate,
  rotateBytes,
} from "../src/index.js";
import { pattern, utf8 } from "./helpers/data.js";
import { hostKey, type TestKey } from "./helpers/keys.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-bundle-"));
let alice: TestKey;
let bob: TestKey;
let carol: TestKey;
let short: TestKey;
beforeAll(() => {
  alice = hostKey(tmp, "alice");
  bob = hostKey(tmp, "bob", 2048, "bob's passphrase");
  carol = hostKey(tmp, "carol");
  short = hostKey(tmp, "short", 1024);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function work(): string {
  const dir = path.join(tmp, `w${n++}`);
  fs.mkdirSync(dir);
  return dir;
}

describe("round trips", () => {
  for (const size of [0, 1, 15, 16, 17, 4096, 3 * 1024 * 1024 + 7]) {
    it(`${size} bytes through files, both recipients alone`, async () => {
      const dir = work();
      const file = path.join(dir, "data.bin");
      const data = pattern(size, size + 1);
      fs.writeFileSync(file, data);
      const r = await encrypt(file, { publicKeys: [alice.pubPem, bob.pubPem] });
      expect(r.bundle).toBe(`${file}.enc`);
      expect(fs.existsSync(file)).toBe(false);
      expect(fs.statSync(r.bundle).mode & 0o777).toBe(0o600);
      const a = await decrypt(r.bundle, { privateKey: { key: alice.privPem } });
      expect(a.output).toBe(file);
      expect(Buffer.compare(fs.readFileSync(file), data)).toBe(0);
      fs.rmSync(file);
      await decrypt(r.bundle, { privateKey: { key: bob.privPem, passphrase: "bob's passphrase" } });
      expect(Buffer.compare(fs.readFileSync(file), data)).toBe(0);
      expect(fs.readdirSync(dir).sort()).toEqual(["data.bin", "data.bin.enc"]);
    });
  }

  it("keeps names with spaces and non-ASCII characters", async () => {
    const dir = work();
    const file = path.join(dir, "Tëst résumé 01 — ü.csv");
    fs.writeFileSync(file, "a,b\n1,2\n");
    const r = await encrypt(file, { publicKeys: [alice.pubPem], keep: true, out: path.join(dir, "x.enc") });
    expect(r.meta.file?.name).toBe("Tëst résumé 01 — ü.csv");
    fs.rmSync(file);
    expect((await decrypt(r.bundle, { privateKey: { key: alice.privPem } })).output).toBe(file);
    expect(fs.readFileSync(file, "utf8")).toBe("a,b\n1,2\n");
  });

  it("works on bytes too", async () => {
    const data = utf8("in memory");
    const bundle = await encryptBytes(data, { publicKeys: [alice.pubPem], name: "m.txt" });
    const r = await decryptBytes(bundle, { privateKey: { key: alice.privPem } });
    expect(Buffer.from(r.plaintext).toString()).toBe("in memory");
  });
});

describe("meta-data", () => {
  it("records what the format documents, and leaves out what is asked", async () => {
    const dir = work();
    const file = path.join(dir, "P007_session3.csv");
    fs.writeFileSync(file, "x");
    const full = await encrypt(file, { publicKeys: [alice.pubPem], keep: true, note: "pilot run", out: path.join(dir, "full.enc") });
    expect(full.meta).toMatchObject({ format: "opensslwrap-bundle", version: 2, cipher: "aes-256-ctr", mac: "hmac-sha256", wrap: "rsa-oaep-sha256", file: { name: "P007_session3.csv", size: 1 }, note: "pilot run" });
    // No hash of the ciphertext: it would need a pass of its own before the header (the tag covers the payload).
    expect(full.meta).not.toHaveProperty("ciphertext");
    expect(full.meta.created).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(full.meta.openssl).toMatch(/^OpenSSL 3\.5\.7 /);
    const quiet = await encrypt(file, { publicKeys: [alice.pubPem], keep: true, noName: true, noDate: true, out: path.join(dir, "quiet.enc") });
    expect(quiet.meta.file).toEqual({ size: 1 });
    expect(quiet.meta.created).toBeUndefined();
    expect(fs.readFileSync(quiet.bundle).includes("P007")).toBe(false);
    const bare = await encrypt(file, { publicKeys: [alice.pubPem], keep: true, noMeta: true, out: path.join(dir, "bare.enc") });
    expect(bare.meta).toEqual({ format: "opensslwrap-bundle", version: 2 });
    fs.rmSync(file);
    expect((await decrypt(bare.bundle, { privateKey: { key: alice.privPem } })).output).toBe(path.join(dir, "bare"));
    const info = await readMeta(full.bundle);
    expect(info.format).toBe(2);
  });

  it("refuses a note that is not one short line", async () => {
    await expect(encryptBytes(utf8("x"), { publicKeys: [alice.pubPem], note: "a".repeat(121) })).rejects.toThrow(/120/);
    await expect(encryptBytes(utf8("x"), { publicKeys: [alice.pubPem], note: "two\nlines" })).rejects.toThrow(/one line/);
  });
});

describe("refusals", () => {
  let bundle: Uint8Array;
  beforeAll(async () => {
    bundle = await encryptBytes(pattern(100_000), { publicKeys: [alice.pubPem, carol.pubPem] });
  });

  it("refuses keys under 2048 bits", async () => {
    await expect(encryptBytes(utf8("x"), { publicKeys: [short.pubPem] })).rejects.toBeInstanceOf(KeyTooShortError);
  });

  it("warns under 3072 bits", async () => {
    const warnings: string[] = [];
    await encryptBytes(utf8("x"), { publicKeys: [alice.pubPem], onWarning: (w) => warnings.push(w) });
    expect(warnings.join()).toMatch(/2048 bits; 3072/);
  });

  it("tells a private key from a public one, both ways", async () => {
    await expect(encryptBytes(utf8("x"), { publicKeys: [alice.privPem] })).rejects.toBeInstanceOf(PublicKeyError);
    await expect(decryptBytes(bundle, { privateKey: { key: alice.pubPem } })).rejects.toBeInstanceOf(PrivateKeyError);
  });

  it("names the wrong passphrase, and a missing one", async () => {
    const forBob = await encryptBytes(utf8("x"), { publicKeys: [bob.pubPem] });
    await expect(decryptBytes(forBob, { privateKey: { key: bob.privPem, passphrase: "wrong" } })).rejects.toBeInstanceOf(PassphraseError);
    await expect(decryptBytes(forBob, { privateKey: { key: bob.privPem } })).rejects.toBeInstanceOf(PassphraseError);
  });

  it("names the recipients when the private key is not one of them", async () => {
    const e = await decryptBytes(bundle, { privateKey: { key: bob.privPem, passphrase: "bob's passphrase" } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DecryptError);
    expect((e as DecryptError).recipients).toHaveLength(2);
    expect((e as Error).message).toContain((e as DecryptError).recipients[1]);
  });

  it("refuses every altered byte class with no output", async () => {
    // Headers and bodies of every member, payload start/middle/end, meta-data, tag, end marker.
    const positions = [0, 100, 148, 257, 512, 600, 1100, 1600, 2100, 2700, 3100, 3600, 3700, 50_000, 103_000, bundle.length - 1700, bundle.length - 1400, bundle.length - 1100, bundle.length - 1030, bundle.length - 700, bundle.length - 600, bundle.length - 520, bundle.length - 1];
    for (const at of positions) {
      const bad = bundle.slice();
      bad[at] = (bad[at] ?? 0) ^ 0x20;
      const e = await decryptBytes(bad, { privateKey: { key: alice.privPem } }).catch((x: unknown) => x);
      expect(e, `byte ${at} altered but accepted`).toBeInstanceOf(Error);
      if (!(e instanceof Error)) continue;
      expect([IntegrityError.name, FormatError.name], `byte ${at}: ${e.message}`).toContain(e.name);
    }
  });

  it("refuses truncated bundles", async () => {
    for (const len of [0, 10, 511, 512, 2000, bundle.length - 1025, bundle.length - 1]) {
      await expect(decryptBytes(bundle.subarray(0, len), { privateKey: { key: alice.privPem } })).rejects.toBeInstanceOf(FormatError);
    }
  });

  it("refuses what is not a bundle", async () => {
    await expect(decryptBytes(utf8("hello, world\n".repeat(100)), { privateKey: { key: alice.privPem } })).rejects.toBeInstanceOf(FormatError);
  });

  it("never overwrites without force, and leaves no output on failure", async () => {
    const dir = work();
    const file = path.join(dir, "d.txt");
    fs.writeFileSync(file, "original");
    const { bundle: b } = await encrypt(file, { publicKeys: [alice.pubPem], keep: true });
    await expect(decrypt(b, { privateKey: { key: alice.privPem } })).rejects.toBeInstanceOf(FileExistsError);
    expect(fs.readFileSync(file, "utf8")).toBe("original");
    const bad = fs.readFileSync(b);
    const mid = Math.floor(bad.length / 2);
    bad[mid] = (bad[mid] ?? 0) ^ 1;
    fs.writeFileSync(b, bad);
    const e = await decrypt(b, { privateKey: { key: alice.privPem }, out: path.join(dir, "out.txt") }).catch((x: unknown) => x);
    expect([IntegrityError.name, FormatError.name]).toContain((e as Error).name);
    expect(fs.readdirSync(dir).sort()).toEqual(["d.txt", "d.txt.enc"]);
  });

  it("keeps the original when encryption fails", async () => {
    const dir = work();
    const file = path.join(dir, "d.txt");
    fs.writeFileSync(file, "original");
    await expect(encrypt(file, { publicKeys: [short.pubPem] })).rejects.toBeInstanceOf(KeyTooShortError);
    expect(fs.readdirSync(dir)).toEqual(["d.txt"]);
  });
});

describe("rotation", () => {
  it("re-encrypts for the new key only, with fresh secrets and history", async () => {
    const data = pattern(2 * 1024 * 1024 + 3, 7);
    const before = await encryptBytes(data, { publicKeys: [alice.pubPem], name: "r.bin", note: "first" });
    const after = await rotateBytes(before, { key: alice.privPem }, { publicKeys: [carol.pubPem] });
    const r = await decryptBytes(after, { privateKey: { key: carol.privPem } });
    expect(Buffer.compare(Buffer.from(r.plaintext), Buffer.from(data))).toBe(0);
    await expect(decryptBytes(after, { privateKey: { key: alice.privPem } })).rejects.toBeInstanceOf(DecryptError);
    const meta = r.meta as { history?: { recipients?: { fingerprint: string }[] }[]; recipients?: { fingerprint: string }[]; file?: { name?: string } };
    expect(meta.history).toHaveLength(1);
    expect(meta.file?.name).toBe("r.bin");
    expect(meta.history?.[0]?.recipients?.[0]?.fingerprint).not.toBe(meta.recipients?.[0]?.fingerprint);
    // Fresh secrets: no 64-byte run of the old payload reappears.
    expect(Buffer.from(after).indexOf(Buffer.from(before.subarray(5000, 5064)))).toBe(-1);
  });

  it("replaces the bundle file atomically", async () => {
    const dir = work();
    const file = path.join(dir, "r.txt");
    fs.writeFileSync(file, "rotate me");
    const { bundle } = await encrypt(file, { publicKeys: [alice.pubPem] });
    await rotate(bundle, { key: alice.privPem }, { publicKeys: [carol.pubPem, bob.pubPem] });
    expect(fs.readdirSync(dir)).toEqual(["r.txt.enc"]);
    expect((await decrypt(bundle, { privateKey: { key: carol.privPem } })).output).toBe(file);
    expect(fs.readFileSync(file, "utf8")).toBe("rotate me");
  });
});

describe("key algorithms", () => {
  it("refuses an RSA-PSS-only key (it cannot do OAEP) with a clear error", async () => {
    const priv = path.join(tmp, "pss.pem");
    const { execFileSync } = await import("node:child_process");
    execFileSync("openssl", ["genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048", "-out", priv], { stdio: "ignore" });
    const pub = execFileSync("openssl", ["pkey", "-in", priv, "-pubout"]);
    await expect(encryptBytes(utf8("x"), { publicKeys: [pub] })).rejects.toThrow(/RSA-PSS-only key/);
  });
});
