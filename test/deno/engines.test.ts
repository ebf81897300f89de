import assert from "node:assert/strict";
// The library's internals from the same source that helpers.ts's `ow` runs (one test seam).
import { MAC_THREAD_MIN_BYTES } from "../../src/bundle/bulk/engine.ts";
import { setTestSource } from "../../src/openssl/test-seam.ts";
import { defaultNodeContext } from "../../src/runtime/node/context.ts";
import { deterministicSource } from "../golden/vector.ts";
import { makeKeys, ow, removeDir, sha256File, tempDir, writePatternFile } from "./helpers.ts";

/**
 * Under Deno the default engine is Deno's own (Web Crypto's AES-CTR, node:crypto's HMAC): its
 * bundles are the wasm engine's byte for byte, in memory and on files, below and above the size
 * where the MAC moves to a second thread,
 * and each engine opens the other's.
 */

const dir = await tempDir("engines");
const lab = await makeKeys(dir, "lab");
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

Deno.test("the default engine under Deno is Deno's own", () => {
  assert.equal(defaultNodeContext().bulk("auto").name, "deno");
});

for (const size of [0, 17, 5 * 1024 * 1024 + 3, MAC_THREAD_MIN_BYTES + 1_000_003]) {
  Deno.test(`encryptBytes: the Deno engine's bundle is the wasm engine's (${size} bytes), and each opens the other's`, async () => {
    const data = new Uint8Array(size).map((_, i) => (i * 7919) >>> 5);
    const bundles: Uint8Array[] = [];
    for (const engine of ["auto", "wasm"] as const) {
      setTestSource(deterministicSource());
      try {
        bundles.push(await ow.encryptBytes(data, { publicKeys: [lab.pubPem], name: "d.bin", engine }));
      } finally {
        setTestSource(undefined);
      }
    }
    const [deno, wasm] = bundles as [Uint8Array, Uint8Array];
    assert.ok(same(deno, wasm), "bundles differ");
    for (const engine of ["auto", "wasm"] as const) {
      const back = await ow.decryptBytes(engine === "auto" ? wasm : deno, { privateKey: { key: lab.privPem }, engine });
      assert.ok(same(back.plaintext, data), `${engine} opened it wrong`);
    }
  });
}

Deno.test("files: encrypt (with the read-back check) and decrypt (tag alongside) give the wasm engine's bytes", async () => {
  try {
    const file = `${dir}/rec.bin`;
    await writePatternFile(file, MAC_THREAD_MIN_BYTES + 123_457);
    const want = await sha256File(file);
    for (const engine of ["auto", "wasm"] as const) {
      setTestSource(deterministicSource());
      try {
        await ow.encrypt(file, { publicKeys: [lab.pubPem], keep: true, engine, out: `${dir}/${engine}.enc` });
      } finally {
        setTestSource(undefined);
      }
    }
    assert.equal(await sha256File(`${dir}/auto.enc`), await sha256File(`${dir}/wasm.enc`));
    for (const engine of ["auto", "wasm"] as const) {
      await ow.decrypt(`${dir}/${engine === "auto" ? "wasm" : "auto"}.enc`, { privateKey: { key: lab.privPem }, engine, out: `${dir}/${engine}.out` });
      assert.equal(await sha256File(`${dir}/${engine}.out`), want);
    }
  } finally {
    await removeDir(dir);
  }
});
