import assert from "node:assert/strict";
import { engine, exists, makeKeys, ow, pattern, removeDir, sha256, tarMember, tempDir, type Keys } from "./helpers.ts";

/** encrypt -> decrypt -> rotate -> sign -> verify on real files, and the typed refusals, under Deno. */

const keyDir = await tempDir("keys");
// Keys from the library's generateKeyPair (one passphrase-protected), shared by the tests below.
const lab: Keys = await makeKeys(keyDir, "lab");
const pi: Keys = await makeKeys(keyDir, "pi", "pi secret");
const stranger: Keys = await makeKeys(keyDir, "stranger");

/** Runs `body` in a fresh temp folder and removes it afterwards, pass or fail. */
async function inTemp(name: string, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await tempDir(name);
  try {
    await body(dir);
  } finally {
    await removeDir(dir);
  }
}

Deno.test("library verbs on files under Deno", (t) =>
  inTemp("roundtrip", async (dir) => {
    await t.step("keys from generateKeyPair", () => {
      assert.match(new TextDecoder().decode(pi.privPem), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      assert.match(lab.fingerprint, /^[0-9a-f]{64}$/);
      assert.notEqual(lab.fingerprint, stranger.fingerprint);
    });

    await t.step("the engine is the pinned OpenSSL", async () => {
      const { stdout } = await engine.runOpenSSL(["version"]);
      assert.match(new TextDecoder().decode(stdout), /^OpenSSL 3\.5\.7 /);
      assert.match(await engine.openssl.version(), /^OpenSSL 3\.5\.7 /);
    });

    const data = pattern(300_001);
    const file = `${dir}/P007 session 3.csv`;

    await t.step("encrypt removes the original and writes FILE.enc", async () => {
      await Deno.writeFile(file, data);
      const warnings: string[] = [];
      const r = await ow.encrypt(file, { publicKeys: [lab.pubPem, pi.pubPem], note: "deno", onWarning: (w) => warnings.push(w) });
      assert.equal(r.bundle, `${file}.enc`);
      assert.equal(await exists(file), false);
      assert.equal(r.meta.file?.name, "P007 session 3.csv");
      assert.equal(r.meta.note, "deno");
      assert.match(r.meta.openssl ?? "", /^OpenSSL 3\.5\.7 /);
      assert.match(warnings.join("\n"), /2048 bits; 3072/);
      const info = await ow.readMeta(r.bundle);
      assert.equal(info.format, 2);
    });

    await t.step("decrypt with either recipient restores the bytes", async () => {
      const r = await ow.decrypt(`${file}.enc`, { privateKey: { key: lab.privPem } });
      assert.equal(r.output, file);
      assert.equal(sha256(await Deno.readFile(file)), sha256(data));
      await assert.rejects(ow.decrypt(`${file}.enc`, { privateKey: { key: lab.privPem } }), ow.FileExistsError);
      const out = `${dir}/by-pi.csv`;
      await ow.decrypt(`${file}.enc`, { privateKey: { key: pi.privPem, passphrase: "pi secret" }, out });
      assert.deepEqual(await Deno.readFile(out), data);
    });

    await t.step("rotate re-encrypts for a new recipient, in place", async () => {
      const before = await Deno.readFile(`${file}.enc`);
      const r = await ow.rotate(`${file}.enc`, { key: pi.privPem, passphrase: "pi secret" }, { publicKeys: [stranger.pubPem] });
      assert.equal(r.bundle, `${file}.enc`);
      assert.notDeepEqual(await Deno.readFile(`${file}.enc`), before);
      await assert.rejects(ow.decrypt(`${file}.enc`, { privateKey: { key: lab.privPem }, out: `${dir}/x` }), ow.DecryptError);
      const out = `${dir}/rotated.csv`;
      await ow.decrypt(`${file}.enc`, { privateKey: { key: stranger.privPem }, out });
      assert.deepEqual(await Deno.readFile(out), data);
      assert.equal(await exists(`${dir}/x`), false);
    });

    await t.step("sign and verify a file (RSA-PSS)", async () => {
      const sig = await ow.sign(file, { key: pi.privPem, passphrase: "pi secret" });
      assert.equal(sig.length, 256);
      assert.equal(await ow.verify(file, pi.pubPem, sig), true);
      assert.equal(await ow.verify(file, lab.pubPem, sig), false);
      const other = `${dir}/other.csv`;
      await Deno.writeFile(other, data.map((b, i) => (i === 1000 ? b ^ 1 : b)));
      assert.equal(await ow.verify(other, pi.pubPem, sig), false);
    });

    await t.step("generateKeys writes a key pair with the documented modes", async () => {
      const r = await ow.generateKeys({ outDir: `${dir}/keys`, name: "k", bits: 2048 });
      assert.equal(((await Deno.stat(r.privatePath)).mode ?? 0) & 0o777, 0o600);
      assert.equal(((await Deno.stat(r.publicPath)).mode ?? 0) & 0o777, 0o644);
      await assert.rejects(ow.generateKeys({ outDir: `${dir}/keys`, name: "k", bits: 2048 }), ow.FileExistsError);
    });

    await t.step("engine 'wasm' (all cryptography in the engine) and 'auto' read each other's bundles", async () => {
      const input = `${dir}/engines.bin`;
      await Deno.writeFile(input, data);
      const viaWasm = await ow.encrypt(input, { publicKeys: [lab.pubPem], keep: true, out: `${dir}/wasm.enc`, engine: "wasm" });
      const viaAuto = await ow.encrypt(input, { publicKeys: [lab.pubPem], keep: true, out: `${dir}/auto.enc` });
      await ow.decrypt(viaWasm.bundle, { privateKey: { key: lab.privPem }, out: `${dir}/from-wasm.bin` });
      await ow.decrypt(viaAuto.bundle, { privateKey: { key: lab.privPem }, out: `${dir}/from-auto.bin`, engine: "wasm" });
      assert.deepEqual(await Deno.readFile(`${dir}/from-wasm.bin`), data);
      assert.deepEqual(await Deno.readFile(`${dir}/from-auto.bin`), data);
    });

    await t.step("bytes API: encryptBytes / decryptBytes / rotateBytes", async () => {
      const sealed = await ow.encryptBytes(data, { publicKeys: [lab.pubPem], name: "m.bin" });
      const rotated = await ow.rotateBytes(sealed, { key: lab.privPem }, { publicKeys: [stranger.pubPem] });
      const { plaintext } = await ow.decryptBytes(rotated, { privateKey: { key: stranger.privPem } });
      assert.deepEqual(plaintext, data);
    });
  }),
);

Deno.test("refusals are typed errors under Deno", (t) =>
  inTemp("refusals", async (keysDir) => {
  const alice = lab;
  const eve = stranger;
  const file = `${keysDir}/d.bin`;
  await Deno.writeFile(file, pattern(100_000));
  const { bundle } = await ow.encrypt(file, { publicKeys: [alice.pubPem], keep: true });

  await t.step("wrong private key -> DecryptError naming the recipients, no output", async () => {
    const out = `${keysDir}/wrong.bin`;
    const e = await ow.decrypt(bundle, { privateKey: { key: eve.privPem }, out }).catch((x: unknown) => x);
    assert.ok(e instanceof ow.DecryptError, String(e));
    assert.ok(e instanceof ow.OpensslwrapError);
    assert.deepEqual(e.recipients, [alice.fingerprint]);
    assert.equal(await exists(out), false);
  });

  await t.step("a flipped ciphertext byte -> IntegrityError, no output", async () => {
    const bad = await Deno.readFile(bundle);
    const payload = tarMember(bad, "payload.bin");
    assert.equal(payload.size, 100_000);
    const at = payload.offset + (payload.size >> 1);
    bad[at] = (bad[at] ?? 0) ^ 0x01;
    const tampered = `${keysDir}/tampered.enc`;
    await Deno.writeFile(tampered, bad);
    const out = `${keysDir}/tampered.bin`;
    await assert.rejects(ow.decrypt(tampered, { privateKey: { key: alice.privPem }, out }), ow.IntegrityError);
    assert.equal(await exists(out), false);
    assert.deepEqual((await Array.fromAsync(Deno.readDir(keysDir))).map((e) => e.name).filter((n) => n.includes(".tmp-")), []);
  });

  await t.step("a public key where a private one is needed, a wrong passphrase, a non-bundle", async () => {
    await assert.rejects(ow.decrypt(bundle, { privateKey: { key: alice.pubPem }, out: `${keysDir}/o` }), ow.PrivateKeyError);
    const forPi = await ow.encryptBytes(pattern(10), { publicKeys: [pi.pubPem] });
    await assert.rejects(ow.decryptBytes(forPi, { privateKey: { key: pi.privPem, passphrase: "wrong" } }), ow.PassphraseError);
    await assert.rejects(ow.decrypt(file, { privateKey: { key: alice.privPem }, out: `${keysDir}/o` }), ow.FormatError);
  });
  }),
);

Deno.test("remove the key folder", () => removeDir(keyDir));
