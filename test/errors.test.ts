import { beforeAll, describe, expect, it } from "vitest";
import { OpenSSLError, dgstSign, enc, genpkeyRsa, oaepDecrypt, oaepEncrypt, openssl, pkeySign, publicKeyOf, rsautlDecrypt, runOpenSSL } from "../src/openssl-api.js";
import { pattern, utf8 } from "./helpers/data.js";

/** The OpenSSLError a promise rejects with; fails the test if it resolves or rejects otherwise. */
async function openSSLError(p: Promise<unknown>): Promise<OpenSSLError> {
  const outcome: unknown = await p.then(
    () => new Error("expected an OpenSSLError, but the command succeeded"),
    (e: unknown) => e,
  );
  if (outcome instanceof OpenSSLError) return outcome;
  throw outcome;
}

const PASS = "the right passphrase";
const MESSAGE = utf8("a 32-byte content key goes here.");

describe("command errors", () => {
  it("an unknown command is an OpenSSLError with exit code 1 naming the command", async () => {
    const e = await openSSLError(runOpenSSL(["frobnicate"]));
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("OpenSSLError");
    expect(e.command).toBe("frobnicate");
    expect(e.exitCode).toBe(1);
    expect(e.stderr).toContain("frobnicate");
    expect(e.message).toContain("openssl frobnicate failed (exit 1)");
  });

  it("a missing input file is an OpenSSLError saying no such file", async () => {
    const e = await openSSLError(runOpenSSL(["dgst", "-sha256", "/in/missing.txt"], { dirs: ["/in"] }));
    expect(e.command).toBe("dgst");
    expect(e.exitCode).not.toBe(0);
    expect(e.stderr).toMatch(/no such file/i);
    expect(e.stderr).toContain("/in/missing.txt");
  });

  it("a missing -in file of enc is an OpenSSLError saying no such file", async () => {
    const e = await openSSLError(runOpenSSL(["enc", "-aes-256-cbc", "-pbkdf2", "-pass", "pass:x", "-in", "/nowhere/data", "-out", "/out/data"], { dirs: ["/out"] }));
    expect(e.stderr).toMatch(/no such file/i);
  });

  it("an output folder that does not exist is an OpenSSLError", async () => {
    const e = await openSSLError(runOpenSSL(["rand", "-out", "/no/such/dir/r", "16"]));
    expect(e.stderr).toMatch(/no such file/i);
  });

  it("an unknown option is an OpenSSLError", async () => {
    const e = await openSSLError(runOpenSSL(["dgst", "-no-such-option"]));
    expect(e.stderr).toMatch(/no-such-option/);
  });
});

describe("key errors", () => {
  let encKey: Uint8Array = new Uint8Array(0);
  let encPub: Uint8Array = new Uint8Array(0);
  let otherKey: Uint8Array = new Uint8Array(0);

  beforeAll(async () => {
    encKey = await genpkeyRsa(openssl, { bits: 2048, passphrase: PASS });
    encPub = await publicKeyOf(openssl, { key: encKey, passphrase: PASS });
    otherKey = await genpkeyRsa(openssl, { bits: 2048 });
  }, 60_000);

  const garbagePem = utf8("-----BEGIN PUBLIC KEY-----\nZ2FyYmFnZSBnYXJiYWdlIGdhcmJhZ2U=\n-----END PUBLIC KEY-----\n");

  it("a malformed public key (garbage PEM) for oaepEncrypt is an OpenSSLError with a diagnostic", async () => {
    for (const key of [garbagePem, utf8("not a key at all\n"), pattern(300, 1), new Uint8Array(0)]) {
      const e = await openSSLError(oaepEncrypt(openssl, key, MESSAGE));
      expect(e.command).toBe("pkeyutl");
      expect(e.exitCode).not.toBe(0);
      expect(e.stderr.trim()).not.toBe("");
    }
  });

  it("a public key cannot decrypt", async () => {
    const e = await openSSLError(oaepDecrypt(openssl, { key: encPub }, pattern(256, 2)));
    expect(e.stderr.trim()).not.toBe("");
  });

  it("a wrong passphrase for an encrypted key is an OpenSSLError", async () => {
    const ct = await oaepEncrypt(openssl, encPub, MESSAGE);
    expect(await oaepDecrypt(openssl, { key: encKey, passphrase: PASS }, ct)).toEqual(MESSAGE);
    const wrong = [
      () => oaepDecrypt(openssl, { key: encKey, passphrase: "the wrong passphrase" }, ct),
      () => pkeySign(openssl, { key: encKey, passphrase: "the wrong passphrase" }, MESSAGE),
      () => dgstSign(openssl, { key: encKey, passphrase: utf8("the wrong passphrase") }, MESSAGE),
      () => publicKeyOf(openssl, { key: encKey, passphrase: "" }),
      () => rsautlDecrypt(openssl, { key: encKey, passphrase: "the wrong passphrase" }, ct),
    ];
    for (const run of wrong) {
      const e = await openSSLError(run());
      expect(e.stderr.trim()).not.toBe("");
    }
  });

  it("an encrypted key without a passphrase is an OpenSSLError, not a prompt", async () => {
    const e = await openSSLError(publicKeyOf(openssl, { key: encKey }));
    expect(e.stderr.trim()).not.toBe("");
  });

  it("the caller's passphrase bytes are left intact after a failure", async () => {
    const passphrase = utf8("the wrong passphrase");
    const before = passphrase.slice();
    await openSSLError(pkeySign(openssl, { key: encKey, passphrase }, MESSAGE));
    expect(passphrase).toEqual(before);
  });

  it("decrypting with the wrong private key is an OpenSSLError", async () => {
    const ct = await oaepEncrypt(openssl, encPub, MESSAGE);
    const e = await openSSLError(oaepDecrypt(openssl, { key: otherKey }, ct));
    expect(e.command).toBe("pkeyutl");
    expect(e.stderr.trim()).not.toBe("");
    await openSSLError(rsautlDecrypt(openssl, { key: otherKey }, await oaepEncrypt(openssl, encPub, MESSAGE, "sha1"), "oaep"));
  });

  it("decrypting OAEP-SHA256 as OAEP-SHA1 is an OpenSSLError", async () => {
    const ct = await oaepEncrypt(openssl, encPub, MESSAGE, "sha256");
    await openSSLError(oaepDecrypt(openssl, { key: encKey, passphrase: PASS }, ct, "sha1"));
  });

  it("a message too long for OAEP is an OpenSSLError", async () => {
    const e = await openSSLError(oaepEncrypt(openssl, encPub, pattern(191, 3), "sha256"));
    expect(e.stderr.trim()).not.toBe("");
  });
});

describe("enc errors", () => {
  const input = pattern(1000, 4);

  it("a wrong password is an OpenSSLError (bad decrypt)", async () => {
    // A fixed salt: with a random one, the wrong key's last block passed CBC's padding check about
    // one run in 256 (it failed CI once), and then nothing is an error.
    const salt = pattern(8, 9);
    const ct = await enc(openssl, { input, pass: "right", pbkdf2: true, salt });
    const e = await openSSLError(enc(openssl, { input: ct, decrypt: true, pass: "wrong", pbkdf2: true, salt }));
    expect(e.command).toBe("enc");
    expect(e.stderr).toMatch(/bad decrypt/i);
  });

  it("a truncated ciphertext is an OpenSSLError", async () => {
    const key = { key: pattern(32, 5), iv: pattern(16, 6) };
    const ct = await enc(openssl, { input, key });
    await openSSLError(enc(openssl, { input: ct.subarray(0, ct.length - 1), decrypt: true, key }));
  });

  it("a file without the Salted__ header is an OpenSSLError when no salt is given", async () => {
    const e = await openSSLError(enc(openssl, { input: pattern(64, 7), decrypt: true, pass: "x", pbkdf2: true }));
    expect(e.stderr).toMatch(/bad magic number/i);
  });

  it("an unknown cipher is an OpenSSLError", async () => {
    const e = await openSSLError(enc(openssl, { input, cipher: "aes-257-cbc", pass: "x", pbkdf2: true }));
    expect(e.stderr).toMatch(/aes-257-cbc/);
  });
});
