import assert from "node:assert/strict";
import { DIST_INDEX, makeKeys, ow, pattern, removeDir, runNode, sha256, tempDir } from "./helpers.ts";

/**
 * The same bundles across runtimes: Node (a `node` child running dist/index.js) encrypts, Deno
 * decrypts, and the reverse; Node's refusals of a Deno bundle are the same typed errors.
 */

/** `node -e` script: encrypt FILE for PUBKEY (keeps FILE), rotate, sign, verify, decrypt, on argv. */
const NODE_SCRIPT = `
import * as fs from "node:fs";
import * as ow from ${JSON.stringify(DIST_INDEX)};
const [verb, ...a] = process.argv.slice(1);
const key = (p) => fs.readFileSync(p);
const say = (x) => process.stdout.write(JSON.stringify(x));
try {
  if (verb === "encrypt") {
    const r = await ow.encrypt(a[0], { publicKeys: [key(a[1])], keep: true, out: a[2] });
    say({ bundle: r.bundle, platform: r.meta.platform });
  } else if (verb === "decrypt") {
    say(await ow.decrypt(a[0], { privateKey: { key: key(a[1]) }, out: a[2] }));
  } else if (verb === "rotate") {
    say(await ow.rotate(a[0], { key: key(a[1]) }, { publicKeys: [key(a[2])] }));
  } else if (verb === "sign") {
    fs.writeFileSync(a[2], await ow.sign(a[0], { key: key(a[1]) }));
    say({ ok: true });
  } else if (verb === "verify") {
    say({ valid: await ow.verify(a[0], key(a[1]), fs.readFileSync(a[2])) });
  } else {
    throw new Error("unknown verb " + verb);
  }
} catch (e) {
  say({ error: e.name, message: e.message });
  process.exitCode = 3;
}
`;

async function node(...args: string[]): Promise<Record<string, unknown>> {
  const r = await runNode(NODE_SCRIPT, args);
  assert.notEqual(r.stdout, "", `node ${args[0]} printed nothing; stderr: ${r.stderr}`);
  return { ...(JSON.parse(r.stdout) as Record<string, unknown>), code: r.code };
}

Deno.test("bundles made under Node open under Deno, and the reverse", async (t) => {
  const dir = await tempDir("interop");
  try {
    const lab = await makeKeys(dir, "lab");
    const other = await makeKeys(dir, "other");
    const data = pattern(1_234_567);
    await Deno.writeFile(`${dir}/data.bin`, data);

    await t.step("node is there", async () => {
      const r = await new Deno.Command("node", { args: ["--version"] }).output();
      assert.equal(r.code, 0);
    });

    await t.step("Node encrypts, Deno decrypts", async () => {
      const made = await node("encrypt", `${dir}/data.bin`, lab.pubPath, `${dir}/by-node.enc`);
      assert.equal(made.code, 0, JSON.stringify(made));
      assert.match(String(made.platform), /^node v\d+/);
      const info = await ow.readMeta(`${dir}/by-node.enc`);
      assert.equal(info.format, 2);
      await ow.decrypt(`${dir}/by-node.enc`, { privateKey: { key: lab.privPem }, out: `${dir}/node-to-deno.bin` });
      assert.equal(sha256(await Deno.readFile(`${dir}/node-to-deno.bin`)), sha256(data));
      await assert.rejects(ow.decrypt(`${dir}/by-node.enc`, { privateKey: { key: other.privPem }, out: `${dir}/x.bin` }), ow.DecryptError);
    });

    await t.step("Deno encrypts, Node decrypts", async () => {
      const r = await ow.encrypt(`${dir}/data.bin`, { publicKeys: [lab.pubPem], keep: true, out: `${dir}/by-deno.enc` });
      assert.match(r.meta.platform ?? "", /^deno \d+\.\d+/);
      const dec = await node("decrypt", `${dir}/by-deno.enc`, lab.privPath, `${dir}/deno-to-node.bin`);
      assert.equal(dec.code, 0, JSON.stringify(dec));
      assert.equal(sha256(await Deno.readFile(`${dir}/deno-to-node.bin`)), sha256(data));
    });

    await t.step("Node rotates a Deno bundle, Deno decrypts it with the new key", async () => {
      const rot = await node("rotate", `${dir}/by-deno.enc`, lab.privPath, other.pubPath);
      assert.equal(rot.code, 0, JSON.stringify(rot));
      await ow.decrypt(`${dir}/by-deno.enc`, { privateKey: { key: other.privPem }, out: `${dir}/rotated.bin` });
      assert.deepEqual(await Deno.readFile(`${dir}/rotated.bin`), data);
    });

    await t.step("signatures verify across runtimes", async () => {
      await Deno.writeFile(`${dir}/by-deno.sig`, await ow.sign(`${dir}/data.bin`, { key: lab.privPem }));
      assert.deepEqual(await node("verify", `${dir}/data.bin`, lab.pubPath, `${dir}/by-deno.sig`), { valid: true, code: 0 });
      assert.deepEqual(await node("verify", `${dir}/data.bin`, other.pubPath, `${dir}/by-deno.sig`), { valid: false, code: 0 });
      assert.deepEqual(await node("sign", `${dir}/data.bin`, lab.privPath, `${dir}/by-node.sig`), { ok: true, code: 0 });
      assert.equal(await ow.verify(`${dir}/data.bin`, lab.pubPem, await Deno.readFile(`${dir}/by-node.sig`)), true);
    });

    await t.step("strict signatures and signed bundles on Deno", async () => {
      const sig = await Deno.readFile(`${dir}/by-node.sig`);
      const reasons: string[] = [];
      const junk = new Uint8Array([...sig, ...new TextEncoder().encode("JUNK")]);
      assert.equal(await ow.verify(`${dir}/data.bin`, lab.pubPem, junk, { onReason: (r) => reasons.push(r) }), false);
      assert.equal(await ow.verify(`${dir}/data.bin`, lab.pubPem, new Uint8Array(0), { onReason: (r) => reasons.push(r) }), false);
      assert.deepEqual(reasons, ["signature is 260 bytes; this key's signatures are 256", "signature is empty (0 bytes); this key's signatures are 256"]);
      const signed = await ow.encryptBytes(new TextEncoder().encode("signed on Deno"), { publicKeys: [other.pubPem], signWith: { key: lab.privPem } });
      const opened = await ow.decryptBytes(signed, { privateKey: { key: other.privPem }, signers: [lab.pubPem] });
      assert.equal(new TextDecoder().decode(opened.plaintext), "signed on Deno");
      await assert.rejects(ow.decryptBytes(signed, { privateKey: { key: other.privPem }, signers: [other.pubPem] }), ow.SignatureError);
    });

    await t.step("Node refuses a tampered Deno bundle and a wrong key with the same typed errors", async () => {
      const bad = await Deno.readFile(`${dir}/by-deno.enc`);
      bad[bad.length >> 1] = (bad[bad.length >> 1] ?? 0) ^ 0x01;
      await Deno.writeFile(`${dir}/tampered.enc`, bad);
      const tampered = await node("decrypt", `${dir}/tampered.enc`, other.privPath, `${dir}/t.bin`);
      assert.equal(tampered.error, "IntegrityError", JSON.stringify(tampered));
      await assert.rejects(ow.decrypt(`${dir}/tampered.enc`, { privateKey: { key: other.privPem }, out: `${dir}/t.bin` }), ow.IntegrityError);
      const wrong = await node("decrypt", `${dir}/by-deno.enc`, lab.privPath, `${dir}/w.bin`);
      assert.equal(wrong.error, "DecryptError", JSON.stringify(wrong));
      assert.equal(wrong.code, 3);
    });
  } finally {
    await removeDir(dir);
  }
});
