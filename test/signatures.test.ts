import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decrypt, decryptBytes, encryptBytes, FormatError, readMeta, SignatureError, verify, verifyBytes } from "../src/index.js";
import { signatureBytes } from "../src/api/keys.js";
import { dgstVerify } from "../src/openssl/index.js";
import { openssl } from "./helpers/context.js";
import { flipped, pattern, utf8 } from "./helpers/data.js";
import { hostKey, type TestKey } from "./helpers/keys.js";
import { fingerprint as hostFingerprint, forge, refused, tree } from "./hardening/util.js";

/**
 * Strict signatures (Wycheproof-style): a signature is exactly the key's modulus length, in files
 * (`verify`, `verifyBytes`; the browser's `verifyBlob` in test/browser/signatures.test.ts) and in
 * bundles (`decrypt`/`decryptBytes`/`readMeta` with `signers`), where the signatures of an
 * independent writer (node:crypto) are checked.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-sig-"));
let a: TestKey; // 2048 bits: signatures of 256 bytes
let b: TestKey; // another 2048-bit key
let c: TestKey; // 3072 bits: signatures of 384 bytes
const message = pattern(70_001, 5);
let pss: Uint8Array;
let pkcs1: Uint8Array;

const signWith = (key: TestKey, data: Uint8Array, padding = crypto.constants.RSA_PKCS1_PSS_PADDING): Uint8Array =>
  new Uint8Array(crypto.sign("sha256", data, { key: key.privPem, padding, saltLength: 32 }));
const cat = (...parts: (Uint8Array | string)[]): Uint8Array => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : p)));

beforeAll(() => {
  a = hostKey(tmp, "a");
  b = hostKey(tmp, "b");
  c = hostKey(tmp, "c", 3072);
  pss = signWith(a, message);
  pkcs1 = signWith(a, message, crypto.constants.RSA_PKCS1_PADDING);
  fs.writeFileSync(path.join(tmp, "message.bin"), message);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Signatures that must not verify for key `a` over `message`, and the reason each must give. */
function malformed(): [string, Uint8Array, RegExp][] {
  return [
    ["PSS + one zero byte", cat(pss, new Uint8Array(1)), /^signature is 257 bytes; this key's signatures are 256$/],
    ["PSS + four zero bytes", cat(pss, new Uint8Array(4)), /^signature is 260 bytes; this key's signatures are 256$/],
    ['PSS + "JUNK"', cat(pss, "JUNK"), /^signature is 260 bytes/],
    ["PSS + de ad be ef", cat(pss, Uint8Array.of(0xde, 0xad, 0xbe, 0xef)), /^signature is 260 bytes/],
    ["PKCS#1 + de ad be ef", cat(pkcs1, Uint8Array.of(0xde, 0xad, 0xbe, 0xef)), /^signature is 260 bytes/],
    ["a zero byte + PSS", cat(new Uint8Array(1), pss), /^signature is 257 bytes/],
    ["two zero bytes + PKCS#1", cat(new Uint8Array(2), pkcs1), /^signature is 258 bytes/],
    ["PSS less its last byte", pss.subarray(0, 255), /^signature is 255 bytes/],
    ["PSS, first half", pss.subarray(0, 128), /^signature is 128 bytes/],
    ["empty", new Uint8Array(0), /^signature is empty \(0 bytes\); this key's signatures are 256$/],
    ["by a 3072-bit key", signWith(c, message), /^signature is 384 bytes; this key's signatures are 256$/],
    ["PSS, one bit flipped", flipped(pss, 100), /^the signature does not match/],
    ["by another key of the same size", signWith(b, message), /^the signature does not match/],
  ];
}

describe("file signatures: exactly the modulus length", () => {
  it("OpenSSL alone accepts a valid signature with bytes appended: the reason for the length check", async () => {
    expect(await dgstVerify(openssl, a.pubPem, message, cat(pss, "JUNK"), "pss")).toBe(true);
  });

  it("verifyBytes and verify accept the valid PSS and PKCS#1 v1.5 signatures", async () => {
    for (const sig of [pss, pkcs1]) {
      expect(await verifyBytes(message, a.pubPem, sig)).toBe(true);
      expect(await verify(path.join(tmp, "message.bin"), a.pubPem, sig)).toBe(true);
    }
  });

  it("verifyBytes and verify answer false, never throw, with the reason for each malformed signature", async () => {
    for (const [what, sig, reason] of malformed()) {
      const reasons: string[] = [];
      expect(await verifyBytes(message, a.pubPem, sig, { onReason: (r) => reasons.push(r) }), what).toBe(false);
      expect(await verify(path.join(tmp, "message.bin"), a.pubPem, sig, { onReason: (r) => reasons.push(r) }), what).toBe(false);
      expect(reasons, what).toHaveLength(2);
      for (const r of reasons) expect(r, what).toMatch(reason);
    }
    expect(await verifyBytes(message, a.pubPem, new Uint8Array(0))).toBe(false); // no onReason: still false
  });

  it("reads a signature file as canonical base64 text or raw bytes; other text stays raw (and is refused by its length)", () => {
    const b64 = Buffer.from(pss).toString("base64");
    expect(signatureBytes(utf8(`${b64}\n`))).toEqual(pss);
    expect(signatureBytes(utf8(b64.replace(/(.{64})/g, "$1\n")))).toEqual(pss); // wrapped lines
    expect(signatureBytes(pss)).toBe(pss);
    expect(signatureBytes(utf8(" \n"))).toEqual(new Uint8Array(0));
    const junk = utf8(`${b64}JUNK`);
    expect(signatureBytes(junk)).toBe(junk);
    // "AQ==" is the canonical text of 0x01; "AR==" decodes to it too with lenient decoders.
    expect(signatureBytes(utf8("AQ=="))).toEqual(Uint8Array.of(1));
    expect(signatureBytes(utf8("AR=="))).toEqual(utf8("AR=="));
    expect(signatureBytes(utf8("AQ"))).toEqual(utf8("AQ"));
  });
});

describe("signed bundles: signers required by decrypt and checked by readMeta", () => {
  /** A bundle for `b` (recipient) signed by `a`, made by node:crypto; `edit` changes its members. */
  const signedBundle = (edit?: (m: { name: string; content: Uint8Array }[]) => void, plaintext = utf8("signed data\n")) =>
    forge({ plaintext, recipients: [b.pubPem], signers: [a.privPem], edit }).bundle;
  const authenticated = (m: { name: string; content: Uint8Array }[]) => cat(...m.filter((x) => /^(header\.txt|key-\d+\.oaep|payload\.bin)$/.test(x.name)).map((x) => x.content));
  const withSignature = (sig: (m: { name: string; content: Uint8Array }[]) => Uint8Array) =>
    signedBundle((m) => {
      const member = m.find((x) => x.name === "sig-1.pss");
      if (member !== undefined) member.content = sig(m);
    });

  it("decrypts a bundle signed by every signer asked for (opensslwrap's and an independent writer's)", async () => {
    const ours = await encryptBytes(utf8("ours"), { publicKeys: [b.pubPem], signWith: { key: a.privPem } });
    expect((await decryptBytes(ours, { privateKey: { key: b.privPem }, signers: [a.pubPem] })).plaintext).toEqual(utf8("ours"));
    const theirs = signedBundle();
    expect((await decryptBytes(theirs, { privateKey: { key: b.privPem }, signers: [a.pubPem] })).plaintext).toEqual(utf8("signed data\n"));
  });

  it("refuses with SignatureError naming the missing signer, before any plaintext is written", async () => {
    const bundle = signedBundle();
    const e = await refused(decryptBytes(bundle, { privateKey: { key: b.privPem }, signers: [a.pubPem, c.pubPem] }));
    expect(e).toBeInstanceOf(SignatureError);
    expect((e as SignatureError).signer).toBe(hostFingerprint(c.pubPem));
    expect(e.message).toBe(`not signed by SHA256:${hostFingerprint(c.pubPem)}: the bundle has no signature by this key`);
    const dir = fs.mkdtempSync(path.join(tmp, "dec-"));
    fs.writeFileSync(path.join(dir, "s.enc"), bundle);
    expect(await refused(decrypt(path.join(dir, "s.enc"), { privateKey: { key: b.privPem }, signers: [c.pubPem] }))).toBeInstanceOf(SignatureError);
    expect(tree(dir)).toEqual(["s.enc"]);
    // Without signers the tag alone decides (signatures are outside it): the bundle decrypts.
    expect((await decryptBytes(bundle, { privateKey: { key: b.privPem } })).plaintext).toEqual(utf8("signed data\n"));
  });

  it("refuses in-bundle signatures of the wrong length, with bytes appended or prepended, altered, PKCS#1 or by another key", async () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ["+ JUNK", withSignature((m) => cat(signWith(a, authenticated(m)), "JUNK")), /signature is 260 bytes; this key's signatures are 256$/],
      ["+ zeros", withSignature((m) => cat(signWith(a, authenticated(m)), new Uint8Array(4))), /signature is 260 bytes/],
      ["zero +", withSignature((m) => cat(new Uint8Array(1), signWith(a, authenticated(m)))), /signature is 257 bytes/],
      ["truncated", withSignature((m) => signWith(a, authenticated(m)).subarray(0, 200)), /signature is 200 bytes/],
      ["empty", withSignature(() => new Uint8Array(0)), /signature is empty \(0 bytes\)/],
      ["3072-bit key's", withSignature((m) => signWith(c, authenticated(m))), /signature is 384 bytes; this key's signatures are 256$/],
      ["PKCS#1 v1.5 (bundles are PSS only)", withSignature((m) => signWith(a, authenticated(m), crypto.constants.RSA_PKCS1_PADDING)), /the signature does not match/],
      ["over other data", withSignature(() => signWith(a, message)), /the signature does not match/],
    ];
    for (const [what, bundle, reason] of cases) {
      const e = await refused(decryptBytes(bundle, { privateKey: { key: b.privPem }, signers: [a.pubPem] }));
      expect(e, what).toBeInstanceOf(SignatureError);
      expect(e.message, what).toMatch(reason);
    }
  });

  it("readMeta reports each signer asked for, verified or not, in the order given", async () => {
    const file = path.join(tmp, "meta.enc");
    fs.writeFileSync(file, signedBundle());
    const info = await readMeta(file, { signers: [c.pubPem, a.pubPem] });
    expect(info.signatures).toEqual([
      { fingerprint: hostFingerprint(c.pubPem), verified: false, reason: "the bundle has no signature by this key" },
      { fingerprint: hostFingerprint(a.pubPem), verified: true },
    ]);
    expect((await readMeta(file)).signatures).toBeUndefined();
  });

  it("the committed vector signed by the reference writer verifies for alice, not for carol", async () => {
    const vectors = new URL("./vectors/", import.meta.url);
    const key = (name: string) => new Uint8Array(fs.readFileSync(new URL(`keys/${name}`, vectors)));
    const bundle = new Uint8Array(fs.readFileSync(new URL("v2-signed.enc", vectors)));
    const bob = { key: key("bob.pem"), passphrase: "bob's lab passphrase" };
    expect((await decryptBytes(bundle, { privateKey: bob, signers: [key("alice.pub.pem")] })).plaintext).toHaveLength(771);
    expect(await refused(decryptBytes(bundle, { privateKey: bob, signers: [key("carol.pub.pem")] }))).toBeInstanceOf(SignatureError);
  });

  it("a legacy bundle carries no signatures: refused when a signer is required", async () => {
    const legacy = new Uint8Array(fs.readFileSync(new URL("./vectors/legacy-pyfilesec-padded.enc", import.meta.url)));
    const alice = new Uint8Array(fs.readFileSync(new URL("./vectors/keys/alice.pem", import.meta.url)));
    const e = await refused(decryptBytes(legacy, { privateKey: { key: alice }, signers: [a.pubPem] }));
    expect(e).toBeInstanceOf(SignatureError);
    expect(e.message).toMatch(/legacy bundles carry no signatures/);
  });

  it('a file that is not a bundle is "not an opensslwrap bundle"', async () => {
    for (const [what, bytes] of [
      ["text", utf8("just some text\n".repeat(100))],
      ["short text", utf8("hi\n")],
      ["empty", new Uint8Array(0)],
    ] as const) {
      const e = await refused(decryptBytes(bytes, { privateKey: { key: a.privPem } }));
      expect(e, what).toBeInstanceOf(FormatError);
      expect(e.message, what).toMatch(/^not an opensslwrap bundle \((not a tar archive|empty file)\)$/);
    }
  });
});
