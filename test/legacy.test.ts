/**
 * Legacy bundles (PsychoPy opensslwrap 2012-2013, pyFileSec 0.2.x), made as the original tools made
 * them by the host's openssl 3.0 and GNU tar, read and decrypted by the wasm engine.
 */
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { DecryptError, FormatError, IntegrityError, PassphraseError, PrivateKeyError } from "../src/bundle/errors.js";
import { ChunkSource, gunzipBounded } from "../src/bundle/legacy-gzip.js";
import { decryptLegacy, isLegacyBundle, readLegacy, stripPyFileSecPadding } from "../src/bundle/legacy.js";
import { byteDiff, pattern, sameBytes, utf8 } from "./helpers/data.js";
import {
  VERSION_MD5,
  VERSION_MD5_WIN,
  VERSION_SHA256,
  hostKeyPair,
  make2012Bundle,
  makePyFileSecBundle,
  pyFileSecPad,
  sha256HexOf,
  tarGz,
  type HostKeyPair,
  type KdfDigest,
  type LegacyFixture,
} from "./helpers/legacy-fixtures.js";
import { ctx } from "./helpers/context.js";

const TEXT = utf8("subject,trial,rt\n01,1,0.532\n01,2,0.611\n02,1,0.498\n");

let alice: HostKeyPair; // plain 2048-bit
let bob: HostKeyPair; // another 2048-bit key: the wrong one
let carol: HostKeyPair; // 2048-bit, PKCS#8 encrypted with a passphrase
let old1024: HostKeyPair; // 1024-bit, traditional PEM encrypted (genrsa -aes256 style), as in 2012

beforeAll(() => {
  alice = hostKeyPair(2048);
  bob = hostKeyPair(2048);
  carol = hostKeyPair(2048, "lab passphrase 2013");
  old1024 = hostKeyPair(1024, "old 2012 passphrase", true);
});

const key = (k: HostKeyPair, passphrase = k.passphrase) => ({ key: k.priv, ...(passphrase === undefined ? {} : { passphrase }) });
const dataOf = (f: LegacyFixture, name = "data.txt.aes256"): Uint8Array => f.members.get(name) ?? new Uint8Array(0);

/** A copy of base64 text with one base64 digit changed at `at` (still valid base64). */
function alterBase64(b: Uint8Array, at: number): Uint8Array {
  const copy = b.slice();
  while (copy[at] === 0x0a || copy[at] === 0x3d) at++; // skip newlines and '='
  copy[at] = copy[at] === 0x41 ? 0x42 : 0x41; // 'A' <-> 'B'
  return copy;
}

describe("both layouts x both key-derivation digests", () => {
  const makers = {
    "opensslwrap-2012": make2012Bundle,
    "pyfilesec-0.2": makePyFileSecBundle,
  } as const;
  for (const [layout, make] of Object.entries(makers)) {
    for (const md of ["md5", "sha256"] as KdfDigest[]) {
      it(`${layout}, enc -md ${md}: decrypts, and reports the recorded meta-data`, async () => {
        const f = make({ plaintext: TEXT, pub: alice.pub, md });
        expect(isLegacyBundle(f.bundle.subarray(0, 2))).toBe(true);
        const { plaintext, info } = await decryptLegacy(ctx, f.bundle, key(alice));
        expect(byteDiff(plaintext, TEXT)).toEqual(sameBytes(TEXT));
        expect(info.layout).toBe(layout);
        expect(info.dataMember).toBe("data.txt.aes256");
        expect(info.originalName).toBe("data.txt");
        expect(info.metaText).toBe(f.metaText);
        expect(info.ciphertextSha256).toBe(sha256HexOf(dataOf(f)));
        const expectedVersion = md === "sha256" ? VERSION_SHA256 : layout === "pyfilesec-0.2" ? VERSION_MD5_WIN : VERSION_MD5;
        expect(info.opensslVersion).toBe(expectedVersion);
        expect(await readLegacy(f.bundle)).toEqual(info);
      });
    }
  }
});

describe("readLegacy", () => {
  it("2012: meta-data lines as an object, full text kept", async () => {
    const f = make2012Bundle({ plaintext: TEXT, pub: alice.pub, md: "md5", name: "rt data.csv" });
    const info = await readLegacy(f.bundle);
    expect(info).toMatchObject({
      layout: "opensslwrap-2012",
      dataMember: "rt data.csv.aes256",
      originalName: "rt data.csv",
      opensslVersion: VERSION_MD5,
      ciphertextSha256: sha256HexOf(dataOf(f, "rt data.csv.aes256")),
      metaText: f.metaText,
    });
    expect(info.meta).toEqual({
      "orig file path": "/Users/lab/exp1/rt data.csv",
      "HMAC-sha256 of encrypted file": sha256HexOf(dataOf(f, "rt data.csv.aes256")),
      "public key (first 20)": new TextDecoder().decode(alice.pub).split("\n")[1]?.slice(0, 20),
      encryption: "opensslwrap._encrypt_rsa_aes256cbc",
      "RSA padding": "-oaep",
      "encrypted on date": "2013_Mar_02_0930",
      "openssl version": VERSION_MD5,
      platform: "darwin 10.6.8 i386",
    });
  });

  it("2012 after a key rotation: the last block describes the data (last values win, all text kept)", async () => {
    const f = make2012Bundle({ plaintext: TEXT, pub: alice.pub, md: "sha256", meta: "rotated" });
    const { plaintext, info } = await decryptLegacy(ctx, f.bundle, key(alice));
    expect(byteDiff(plaintext, TEXT)).toEqual(sameBytes(TEXT));
    expect(info.opensslVersion).toBe(VERSION_SHA256);
    expect(info.ciphertextSha256).toBe(sha256HexOf(dataOf(f)));
    expect(info.meta["openssl version"]).toBe(VERSION_SHA256);
    expect(info.meta["orig file path"]).toBe("/Users/lab/exp1/data.txt");
    expect(info.metaText).toContain("--- key rotation: ---");
    expect(info.metaText).toContain(VERSION_MD5);
  });

  it("pyFileSec: the JSON as-is; facts from the newest entry (sorted keys, as pyFileSec did)", async () => {
    const f = makePyFileSecBundle({ plaintext: TEXT, pub: alice.pub, md: "sha256", meta: "rotated" });
    const info = await readLegacy(f.bundle);
    expect(info.meta).toEqual(JSON.parse(f.metaText));
    expect(Object.keys(info.meta)).toHaveLength(2);
    expect(info).toMatchObject({ layout: "pyfilesec-0.2", originalName: "data.txt", opensslVersion: VERSION_SHA256, ciphertextSha256: sha256HexOf(dataOf(f)) });
    const { plaintext } = await decryptLegacy(ctx, f.bundle, key(alice));
    expect(byteDiff(plaintext, TEXT)).toEqual(sameBytes(TEXT));
  });

  it("pyFileSec with meta-data suppressed: no facts; decrypts by trying both digests", async () => {
    const f = makePyFileSecBundle({ plaintext: TEXT, pub: alice.pub, md: "sha256", meta: "suppressed" });
    const { plaintext, info } = await decryptLegacy(ctx, f.bundle, key(alice));
    expect(byteDiff(plaintext, TEXT)).toEqual(sameBytes(TEXT));
    expect(info.meta).toEqual({ "meta-data (date-time suppressed)": { "meta-data": false } });
    expect(info.opensslVersion).toBeUndefined();
    expect(info.ciphertextSha256).toBeUndefined();
    expect(info.originalName).toBeUndefined();
  });
});

describe("missing or unhelpful meta-data: both digests are tried", () => {
  for (const md of ["md5", "sha256"] as KdfDigest[]) {
    it(`2012 without a meta member, enc -md ${md}`, async () => {
      const f = make2012Bundle({ plaintext: TEXT, pub: alice.pub, md, meta: "none" });
      expect([...f.members.keys()]).toEqual(["data.txt.aes256", "data.txt.aes256pwd.rsa"]);
      const { plaintext, info } = await decryptLegacy(ctx, f.bundle, key(alice));
      expect(byteDiff(plaintext, TEXT)).toEqual(sameBytes(TEXT));
      expect(info).toEqual({ layout: "opensslwrap-2012", dataMember: "data.txt.aes256", meta: {}, metaText: "" });
    });
  }

  it("pyFileSec without a meta member", async () => {
    const f = makePyFileSecBundle({ plaintext: TEXT, pub: alice.pub, md: "md5", meta: "none" });
    const { plaintext, info } = await decryptLegacy(ctx, f.bundle, key(alice));
    expect(byteDiff(plaintext, TEXT)).toEqual(sameBytes(TEXT));
    expect(info.metaText).toBe("");
  });

  it("no openssl version line, and a version that names the wrong era", async () => {
    for (const opensslVersion of [null, VERSION_MD5]) {
      const f = make2012Bundle({ plaintext: TEXT, pub: alice.pub, md: "sha256", opensslVersion });
      const { plaintext, info } = await decryptLegacy(ctx, f.bundle, key(alice));
      expect(byteDiff(plaintext, TEXT)).toEqual(sameBytes(TEXT));
      expect(info.opensslVersion).toBe(opensslVersion ?? undefined);
    }
  });
});

describe("pyFileSec details", () => {
  it("strips the pyFileSec padding", async () => {
    const f = makePyFileSecBundle({ plaintext: TEXT, pub: alice.pub, md: "md5", padTo: 16384 });
    const { plaintext } = await decryptLegacy(ctx, f.bundle, key(alice));
    expect(byteDiff(plaintext, TEXT)).toEqual(sameBytes(TEXT));
  });

  it("padding: a plaintext ending in NUL bytes keeps them; an inconsistent trailer is left alone", () => {
    const withNuls = Uint8Array.from([...TEXT, 0, 0, 0]);
    expect(byteDiff(stripPyFileSecPadding(pyFileSecPad(withNuls, 200)), withNuls)).toEqual(sameBytes(withNuls));
    expect(byteDiff(stripPyFileSecPadding(pyFileSecPad(withNuls, 0)), withNuls)).toEqual(sameBytes(withNuls));
    const padded = pyFileSecPad(TEXT, 200);
    const tooLong = padded.slice();
    tooLong.set(utf8("0000009999"), padded.length - 28); // count > length
    expect(stripPyFileSecPadding(tooLong)).toBe(tooLong);
    const notNul = padded.slice();
    notNul[TEXT.length + 1] = 0x20; // a non-NUL byte in the padding region
    expect(stripPyFileSecPadding(notNul)).toBe(notNul);
    const tooShort = padded.slice();
    tooShort.set(utf8("0000000031"), padded.length - 28); // shorter than the trailer itself
    expect(stripPyFileSecPadding(tooShort)).toBe(tooShort);
    expect(stripPyFileSecPadding(TEXT)).toBe(TEXT);
  });

  it("an early 0.1.x password (64 hex digits, no '#')", async () => {
    const f = makePyFileSecBundle({ plaintext: TEXT, pub: alice.pub, md: "md5", early: true });
    expect(f.password).toMatch(/^[0-9a-f]{64}$/);
    const { plaintext } = await decryptLegacy(ctx, f.bundle, key(alice));
    expect(byteDiff(plaintext, TEXT)).toEqual(sameBytes(TEXT));
  });
});

describe("keys", () => {
  it("a passphrase-protected private key (PKCS#8), and the wrong or missing passphrase", async () => {
    const f = makePyFileSecBundle({ plaintext: TEXT, pub: carol.pub, md: "sha256" });
    const { plaintext } = await decryptLegacy(ctx, f.bundle, key(carol));
    expect(byteDiff(plaintext, TEXT)).toEqual(sameBytes(TEXT));
    await expect(decryptLegacy(ctx, f.bundle, key(carol, "not the passphrase"))).rejects.toBeInstanceOf(PassphraseError);
    await expect(decryptLegacy(ctx, f.bundle, { key: carol.priv })).rejects.toBeInstanceOf(PassphraseError);
  });

  it("a 1024-bit key (traditional encrypted PEM, as in 2012) still opens old bundles", async () => {
    const f = make2012Bundle({ plaintext: TEXT, pub: old1024.pub, md: "md5" });
    expect(f.members.get("data.txt.aes256pwd.rsa")?.length).toBe(128);
    const { plaintext } = await decryptLegacy(ctx, f.bundle, key(old1024));
    expect(byteDiff(plaintext, TEXT)).toEqual(sameBytes(TEXT));
    await expect(decryptLegacy(ctx, f.bundle, key(old1024, "wrong"))).rejects.toBeInstanceOf(PassphraseError);
  });

  it("the wrong private key: DecryptError", async () => {
    for (const make of [make2012Bundle, makePyFileSecBundle]) {
      const f = make({ plaintext: TEXT, pub: alice.pub, md: "md5" });
      await expect(decryptLegacy(ctx, f.bundle, key(bob))).rejects.toThrow(DecryptError);
      await expect(decryptLegacy(ctx, f.bundle, key(bob))).rejects.toThrow(/this private key cannot open this .* bundle/);
    }
  });

  it("a public key where the private key is needed: PrivateKeyError", async () => {
    const f = make2012Bundle({ plaintext: TEXT, pub: alice.pub, md: "md5" });
    await expect(decryptLegacy(ctx, f.bundle, { key: alice.pub })).rejects.toBeInstanceOf(PrivateKeyError);
  });
});

describe("integrity and broken bundles", () => {
  it("a data member that no longer matches the recorded SHA-256: IntegrityError, for both layouts", async () => {
    const tamper = (m: Map<string, Uint8Array>) => m.set("data.txt.aes256", alterBase64(m.get("data.txt.aes256") ?? new Uint8Array(0), 40));
    for (const make of [make2012Bundle, makePyFileSecBundle]) {
      const f = make({ plaintext: TEXT, pub: alice.pub, md: "md5", tamper });
      await expect(decryptLegacy(ctx, f.bundle, key(alice))).rejects.toBeInstanceOf(IntegrityError);
      // The wrong key is not even needed to notice.
      await expect(decryptLegacy(ctx, f.bundle, key(bob))).rejects.toBeInstanceOf(IntegrityError);
    }
  });

  it("data that no digest decrypts (no meta-data to catch it first): DecryptError", async () => {
    const saltOnly = utf8(`${Buffer.from("Salted__12345678").toString("base64")}\n`);
    const f = make2012Bundle({ plaintext: TEXT, pub: alice.pub, md: "md5", meta: "none", tamper: (m) => m.set("data.txt.aes256", saltOnly) });
    await expect(decryptLegacy(ctx, f.bundle, key(alice))).rejects.toThrow(/cannot decrypt the data: wrong key-derivation digest or corrupted data/);
  });

  it("not gzip, gzip of garbage, a truncated bundle, a gzip bomb: FormatError", async () => {
    const f = make2012Bundle({ plaintext: TEXT, pub: alice.pub, md: "md5" });
    const cases: [string, Uint8Array][] = [
      ["plain text", utf8("opensslwrap-bundle 2\n")],
      ["empty", new Uint8Array(0)],
      ["gzip of garbage", gzipSync(pattern(20_000, 5))],
      ["gzip of text", gzipSync(utf8("just some text, not a tar archive\n".repeat(40)))],
      ["truncated", f.bundle.subarray(0, f.bundle.length - 100)],
      ["corrupted gzip", Uint8Array.from([0x1f, 0x8b, ...pattern(500, 9)])],
      ["gzip bomb", gzipSync(new Uint8Array(16 << 20), { level: 9 })],
    ];
    expect(isLegacyBundle(utf8("opensslwrap-bundle 2\n"))).toBe(false);
    for (const [what, bytes] of cases) {
      await expect(readLegacy(bytes), what).rejects.toBeInstanceOf(FormatError);
      await expect(decryptLegacy(ctx, bytes, key(alice)), what).rejects.toBeInstanceOf(FormatError);
    }
    await expect(readLegacy(gzipSync(new Uint8Array(16 << 20), { level: 9 }))).rejects.toThrow(/gzip bomb/);
  });

  it("tars of other things: FormatError 'not an opensslwrap bundle'", async () => {
    const f = make2012Bundle({ plaintext: TEXT, pub: alice.pub, md: "md5" });
    const data = dataOf(f);
    const wrapped = f.members.get("data.txt.aes256pwd.rsa") ?? new Uint8Array(0);
    const variants: Map<string, Uint8Array>[] = [
      new Map([["notes.txt", TEXT]]),
      new Map([["data.txt.aes256", data]]), // no password member
      new Map([["data.txt.aes256", data], ["other.txt.aes256pwd.rsa", wrapped]]), // password for another file
      new Map([["data.txt.aes256", data], ["data.txt.aes256pwd.rsa", wrapped], ["data.txt.aes256.pwdrsa", wrapped]]), // both layouts
      new Map([["data.txt.aes256", data], ["data.txt.aes256pwd.rsa", wrapped], ["notes.txt", TEXT]]), // stray member
      new Map([["data.txt.aes256", TEXT], ["data.txt.aes256pwd.rsa", wrapped]]), // data not from enc -a -salt
      new Map([["data.txt.aes256", data], ["data.txt.aes256pwd.rsa", wrapped], ["data.txt.meta", TEXT], ["x.meta", TEXT]]), // 4 members
    ];
    for (const members of variants) {
      await expect(readLegacy(tarGz(members)), [...members.keys()].join(" ")).rejects.toThrow(/not an opensslwrap bundle/);
    }
  });

  it("2012's name-clash spelling of the password member (data.txt.aes256+pwd.rsa)", async () => {
    const f = make2012Bundle({ plaintext: TEXT, pub: alice.pub, md: "md5", pwdMember: "data.txt.aes256+pwd.rsa" });
    const { plaintext, info } = await decryptLegacy(ctx, f.bundle, key(alice));
    expect(byteDiff(plaintext, TEXT)).toEqual(sameBytes(TEXT));
    expect(info.layout).toBe("opensslwrap-2012");
  });
});

describe("large files", () => {
  it("a multi-MB data file (64-character base64 lines) in both layouts", async () => {
    const big = pattern(6 * 1024 * 1024 + 7, 42);
    const f2012 = make2012Bundle({ plaintext: big, pub: alice.pub, md: "md5" });
    const lines = new TextDecoder().decode(dataOf(f2012)).split("\n");
    expect(lines.length).toBeGreaterThan(100_000);
    expect(lines[0]?.length).toBe(64);
    const r2012 = await decryptLegacy(ctx, f2012.bundle, key(alice));
    expect(byteDiff(r2012.plaintext, big)).toEqual(sameBytes(big));
    const fPy = makePyFileSecBundle({ plaintext: big, pub: alice.pub, md: "sha256", padTo: big.length + 100_000 });
    const rPy = await decryptLegacy(ctx, fPy.bundle, key(alice));
    expect(byteDiff(rPy.plaintext, big)).toEqual(sameBytes(big));
  });
});

describe("bounded gunzip", () => {
  it("refuses output beyond the cap; reads back exactly, across chunk boundaries", async () => {
    const data = pattern(300_000, 77);
    await expect(gunzipBounded(gzipSync(data), 100_000)).rejects.toThrow(/more than 100000 bytes/);
    const src = await gunzipBounded(gzipSync(data));
    expect(src.size()).toBe(data.length);
    const part = new Uint8Array(150_000);
    expect(src.read(part, 100_001)).toBe(150_000);
    expect(byteDiff(part, data.subarray(100_001, 250_001))).toEqual(sameBytes(part));
    expect(src.read(new Uint8Array(10), data.length - 3)).toBe(3);
    expect(src.read(new Uint8Array(10), data.length)).toBe(0);
  });

  it("ChunkSource over uneven and empty chunks", () => {
    const src = new ChunkSource([Uint8Array.of(0, 1, 2), new Uint8Array(0), Uint8Array.of(3, 4, 5, 6, 7), Uint8Array.of(8)]);
    expect(src.size()).toBe(9);
    for (let at = 0; at < 9; at++) {
      const dst = new Uint8Array(9);
      const n = src.read(dst, at);
      expect(n).toBe(9 - at);
      expect([...dst.subarray(0, n)]).toEqual(Array.from({ length: 9 - at }, (_, i) => at + i));
    }
  });
});
