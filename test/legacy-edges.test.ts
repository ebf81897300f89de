/**
 * Legacy edge cases (docs/LEGACY.md): a bundle that records no hash decrypts with one warning that
 * its format cannot detect alteration; a malformed recorded hash is refused (IntegrityError naming
 * the field, no output); without meta-data the output is named after the data member; `rotate`
 * converts a legacy bundle to v2 (history keeps the legacy meta-data, marked converted), replacing
 * it atomically after the read-back check. Library, then the real CLI.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptBytes, IntegrityError, readMeta, rotateBytes } from "../src/index.js";
import type { LegacyHistoryEntry, Meta } from "../src/index.js";
import { cli } from "./helpers/cli.js";
import { sameBytes, byteDiff, utf8 } from "./helpers/data.js";
import { hostKeyPair, make2012Bundle, makePyFileSecBundle, type HostKeyPair } from "./helpers/legacy-fixtures.js";

const TEXT = utf8("subject,trial,rt\n01,1,0.532\n01,2,0.611\n02,1,0.498\n");
let alice: HostKeyPair;
let bob: HostKeyPair;
let tmp: string;

beforeAll(() => {
  alice = hostKeyPair(2048);
  bob = hostKeyPair(2048);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "opensslwrap-legacy-edges-"));
  fs.writeFileSync(path.join(tmp, "alice.pem"), alice.priv, { mode: 0o600 });
  fs.writeFileSync(path.join(tmp, "bob.pub.pem"), bob.pub);
  fs.writeFileSync(path.join(tmp, "bob.pem"), bob.priv, { mode: 0o600 });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const aliceKey = () => ({ key: alice.priv });

/** Replaces the recorded hash in the meta member with `value`. */
function hashReplaced(value: string, layout: "2012" | "pyfilesec") {
  const tamper = (members: Map<string, Uint8Array>) => {
    const meta = new TextDecoder().decode(members.get("data.txt.meta"));
    const re = layout === "2012" ? /(HMAC-sha256 of encrypted file: )[0-9a-f]{64}/ : /("hash of cipher_text": )"[0-9a-f]{64}"/;
    members.set("data.txt.meta", utf8(meta.replace(re, layout === "2012" ? `$1${value}` : `$1"${value}"`)));
  };
  return layout === "2012" ? make2012Bundle({ plaintext: TEXT, pub: alice.pub, md: "sha256", tamper }) : makePyFileSecBundle({ plaintext: TEXT, pub: alice.pub, md: "sha256", tamper });
}

describe("library", () => {
  it("no hash recorded: decrypts, with one warning that the format cannot detect alteration", async () => {
    for (const f of [make2012Bundle({ plaintext: TEXT, pub: alice.pub, md: "md5", meta: "none" }), makePyFileSecBundle({ plaintext: TEXT, pub: alice.pub, md: "sha256", meta: "suppressed" })]) {
      const warnings: string[] = [];
      const r = await decryptBytes(f.bundle, { privateKey: aliceKey(), onWarning: (m) => warnings.push(m) });
      expect(byteDiff(r.plaintext, TEXT)).toEqual(sameBytes(TEXT));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^data\.txt\.aes256: this (PsychoPy opensslwrap \(2012\)|pyFileSec 0\.2) bundle records no SHA-256 of its data, and its format cannot detect alteration: check the output$/);
    }
    // With a hash: no warning.
    const warnings: string[] = [];
    await decryptBytes(make2012Bundle({ plaintext: TEXT, pub: alice.pub, md: "md5" }).bundle, { privateKey: aliceKey(), onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
  });

  it("a malformed hash (65 or 63 hex digits, not hex, empty) is an IntegrityError naming the field", async () => {
    const hex64 = "ab".repeat(32);
    const cases: [string, "2012" | "pyfilesec", string][] = [
      [`${hex64}0`, "2012", "HMAC-sha256 of encrypted file"],
      [hex64.slice(1), "2012", "HMAC-sha256 of encrypted file"],
      ["", "2012", "HMAC-sha256 of encrypted file"],
      [`${hex64}0`, "pyfilesec", "hash of cipher_text"],
      [`${hex64.slice(2)}zz`, "pyfilesec", "hash of cipher_text"],
    ];
    for (const [value, layout, field] of cases) {
      const e = await decryptBytes(hashReplaced(value, layout).bundle, { privateKey: aliceKey() }).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e, `${layout} ${JSON.stringify(value)}`).toBeInstanceOf(IntegrityError);
      expect((e as Error).message).toContain(`"${field}" is not a SHA-256 (64 hex digits)`);
    }
  });

  it("rotateBytes converts a legacy bundle to v2: history keeps the legacy meta-data, marked converted", async () => {
    for (const f of [make2012Bundle({ plaintext: TEXT, pub: alice.pub, md: "md5", name: "P007.csv" }), makePyFileSecBundle({ plaintext: TEXT, pub: alice.pub, md: "sha256", meta: "none", name: "P008.csv" })]) {
      const v2 = await rotateBytes(f.bundle, aliceKey(), { publicKeys: [bob.pub], noDate: true });
      expect(v2[0]).not.toBe(0x1f); // a plain tar, not gzip
      const r = await decryptBytes(v2, { privateKey: { key: bob.priv } });
      expect(byteDiff(r.plaintext, TEXT)).toEqual(sameBytes(TEXT));
      const meta = r.meta as Meta;
      expect(meta.file?.name).toBe(f.metaText === "" ? "P008.csv" : "P007.csv");
      const entry = meta.history?.[0] as LegacyHistoryEntry;
      expect(meta.history).toHaveLength(1);
      expect(entry).toEqual({ format: f.metaText === "" ? "pyfilesec-0.2" : "opensslwrap-2012", converted: true, data: `${f.metaText === "" ? "P008" : "P007"}.csv.aes256`, meta: f.metaText });
    }
  });
});

describe("CLI", () => {
  const run = (args: string[], dir: string) => cli([...args, "--privkey", path.join(tmp, "alice.pem")], dir);
  const folder = (files: Record<string, Uint8Array>) => {
    const dir = fs.mkdtempSync(path.join(tmp, "d-"));
    for (const [n, b] of Object.entries(files)) fs.writeFileSync(path.join(dir, n), b);
    return dir;
  };

  it("decrypt without meta-data: named after the data member, one warning line, exit 0", () => {
    const dir = folder({ "data.enc": make2012Bundle({ plaintext: TEXT, pub: alice.pub, md: "md5", meta: "none" }).bundle });
    const r = run(["decrypt", "data.enc"], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.toString()).toBe("data.txt\n");
    expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^opensslwrap: warning: data\.txt\.aes256: .*cannot detect alteration: check the output$/)]);
    expect(fs.readFileSync(path.join(dir, "data.txt")).equals(TEXT)).toBe(true);
  });

  it("a member name this system cannot use is made usable by the shared rules (only its last part)", () => {
    const tamper = (m: Map<string, Uint8Array>) => {
      for (const [name, bytes] of [...m]) {
        m.delete(name);
        m.set(name.replace("data.txt", "..\u0001evil.txt"), bytes);
      }
    };
    const dir = folder({ "x.enc": make2012Bundle({ plaintext: TEXT, pub: alice.pub, md: "md5", meta: "none", tamper }).bundle });
    const r = run(["decrypt", "x.enc"], dir);
    expect(r.status, r.stderr).toBe(0);
    // A control character: the name is not used; the bundle's name is.
    expect(r.stdout.toString()).toBe("x\n");
  });

  it("decrypt with a malformed hash: exit 1, one line naming the field, no output", () => {
    const dir = folder({ "data.enc": hashReplaced(`${"0".repeat(64)}1`, "2012").bundle });
    const r = run(["decrypt", "data.enc"], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^opensslwrap: the meta-data field "HMAC-sha256 of encrypted file" is not a SHA-256 \(64 hex digits\)[^\n]*\n$/);
    expect(fs.readdirSync(dir)).toEqual(["data.enc"]);
  });

  it("rotate converts a legacy bundle in place to v2 for the new key", async () => {
    const f = makePyFileSecBundle({ plaintext: TEXT, pub: alice.pub, md: "md5" });
    const dir = folder({ "data.enc": f.bundle });
    const r = run(["rotate", "data.enc", "--pubkey", path.join(tmp, "bob.pub.pem"), "--json"], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.toString())).toMatchObject({ path: "data.enc", ok: true, output: "data.enc" });
    expect(fs.readdirSync(dir)).toEqual(["data.enc"]);
    const info = await readMeta(path.join(dir, "data.enc"));
    expect(info.format).toBe(2);
    const history = info.format === 2 ? info.meta.history : undefined;
    expect(history?.[0]).toMatchObject({ format: "pyfilesec-0.2", converted: true, data: "data.txt.aes256", meta: f.metaText, rotated: expect.any(String) });
    const dec = cli(["decrypt", "data.enc", "--privkey", path.join(tmp, "bob.pem")], dir);
    expect(dec.status, dec.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, "data.txt")).equals(TEXT)).toBe(true);
  });

  it("rotate of an altered legacy bundle: refused, the bundle untouched", () => {
    const bad = hashReplaced("f".repeat(64), "2012");
    const dir = folder({ "data.enc": bad.bundle });
    const r = run(["rotate", "data.enc", "--pubkey", path.join(tmp, "bob.pub.pem")], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/does not match the SHA-256 recorded in the meta-data/);
    expect(fs.readdirSync(dir)).toEqual(["data.enc"]);
    expect(fs.readFileSync(path.join(dir, "data.enc")).equals(bad.bundle)).toBe(true);
  });
});
