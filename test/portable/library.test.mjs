// The library by name, on Node and on Deno: the pinned engine, known answers, bytes and files.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as ow from "opensslwrap";
import * as e from "opensslwrap/openssl";
import { golden, hex, onDeno, pattern, sha256, tempDir, utf8 } from "./helpers.mjs";

const unhex = (h) => Uint8Array.from(Buffer.from(h, "hex"));
const privateKey = { key: utf8(golden.privateKey) };
const dir = tempDir();

describe("the engine", () => {
  it("is the pinned OpenSSL 3.5.7 and passes its self-test", async () => {
    assert.match(await e.openssl.version(), /^OpenSSL 3\.5\.7 /);
    const lines = [];
    assert.equal(await ow.selftest((l) => lines.push(l)), true);
    assert.equal(lines.at(-1), "test SUCCESS, reporting complete");
  });

  it("gives the known answers: SHA-256 (FIPS 180-2), HMAC-SHA256 (RFC 4231 case 2), AES-256-CTR (SP 800-38A F.5.5)", async () => {
    assert.equal(hex(await e.digest(e.openssl, utf8("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert.equal(hex(await e.hmac(e.openssl, utf8("Jefe"), utf8("what do ya want for nothing?"))), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    const ctr = await e.enc(e.openssl, {
      input: unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"),
      cipher: "aes-256-ctr",
      key: { key: unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"), iv: unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff") },
    });
    assert.equal(hex(ctr), "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6");
  });
});

describe("bundles in memory", () => {
  it("round-trip for two recipients; a key that is not a recipient and a flipped bit are refused with typed errors", async () => {
    const fresh = await ow.generateKeyPair({ bits: 2048 });
    const goldenPub = await e.publicKeyOf(e.openssl, privateKey);
    const data = pattern(200_000);
    const sealed = await ow.encryptBytes(data, { publicKeys: [fresh.publicKey, goldenPub], name: "P007.csv" });
    for (const key of [{ key: fresh.privateKey }, privateKey]) {
      const { plaintext, meta } = await ow.decryptBytes(sealed, { privateKey: key });
      assert.equal(sha256(plaintext), sha256(data));
      assert.equal(meta.file.name, "P007.csv");
    }
    const stranger = await ow.generateKeyPair({ bits: 2048 });
    await assert.rejects(ow.decryptBytes(sealed, { privateKey: { key: stranger.privateKey } }), ow.DecryptError);
    const flipped = sealed.slice();
    flipped[Math.floor(flipped.length / 2)] ^= 1;
    await assert.rejects(ow.decryptBytes(flipped, { privateKey }), ow.IntegrityError);
  });

  it("signs and verifies (RSA-PSS)", async () => {
    const publicKey = await e.publicKeyOf(e.openssl, privateKey);
    const data = utf8("results\n");
    const signature = await ow.signBytes(data, privateKey);
    assert.equal(await ow.verifyBytes(data, publicKey, signature), true);
    assert.equal(await ow.verifyBytes(utf8("results!\n"), publicKey, signature), false);
  });
});

describe("bundles on disk", () => {
  it("encrypt removes the original only after the bundle is written; decrypt restores it and never overwrites", async () => {
    const publicKey = await e.publicKeyOf(e.openssl, privateKey);
    const file = path.join(dir, "P008 session 1.csv");
    const data = pattern(1_000_000);
    fs.writeFileSync(file, data);
    const { bundle } = await ow.encrypt(file, { publicKeys: [publicKey] });
    assert.equal(bundle, `${file}.enc`);
    assert.equal(fs.existsSync(file), false);
    const { output } = await ow.decrypt(bundle, { privateKey });
    assert.equal(output, file);
    assert.equal(sha256(fs.readFileSync(file)), sha256(data));
    await assert.rejects(ow.decrypt(bundle, { privateKey }), ow.FileExistsError);
    assert.equal(sha256(fs.readFileSync(file)), sha256(data));
  });

  it("require() gives the same module as import (Node; Deno imports only)", { skip: onDeno && "Deno has no require() of npm ES modules here" }, () => {
    const required = createRequire(import.meta.url)("opensslwrap");
    assert.equal(required.encryptBytes, ow.encryptBytes);
  });
});
