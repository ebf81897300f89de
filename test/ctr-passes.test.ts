import { createCipheriv } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MAC_THREAD_MIN_BYTES } from "../src/bundle/bulk/engine.js";
import { payloadKeys } from "../src/bundle/bulk/keys.js";
import { nodeBulk } from "../src/runtime/node/bulk.js";
import { denoBulk, subtleCtr } from "../src/runtime/node/deno-bulk.js";
import { MemoryFile } from "../src/wasi/index.js";
import { ctx } from "./helpers/context.js";
import { byteDiff, pattern, sameBytes } from "./helpers/data.js";

/**
 * The Deno engine's Web Crypto AES-CTR (Node has Web Crypto too) gives OpenSSL's AES-256-CTR
 * keystream at every offset: chunks that start or end inside a block, chunks out of order, a
 * counter that carries across 64 bits and wraps at 2^128; and the engine's bundles are Node's.
 */

const secret = pattern(64, 1);
const reference = (iv: Uint8Array, data: Uint8Array) => {
  const c = createCipheriv("aes-256-ctr", secret.subarray(0, 32), iv);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
};

const ivs = {
  random: pattern(16, 2),
  "carry past 64 bits": Uint8Array.from([...pattern(8, 3), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]),
  "wrap at 2^128": new Uint8Array(16).fill(0xff),
};

/** Runs Web Crypto's CTR over `data` in chunks of the given sizes (in order, or last first), all in flight at once. */
async function transform(iv: Uint8Array, data: Uint8Array, sizes: number[], reversed = false): Promise<Uint8Array> {
  const ctr = await subtleCtr(payloadKeys(secret, iv));
  const out = new Uint8Array(data.length);
  let chunks: [number, number][] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length] ?? 1, data.length - at);
    chunks.push([at, n]);
    at += n;
  }
  if (reversed) chunks = chunks.reverse();
  const input = new Uint8Array(data.length);
  const results: Promise<void>[] = [];
  for (const [at, n] of chunks) {
    // The chunk's memory is reused at once, as the engine reuses its read buffer.
    input.set(data.subarray(at, at + n));
    results.push(ctr(at, input.subarray(0, n)).then((r) => out.set(r, at)));
    input.fill(0xee, 0, n);
  }
  await Promise.all(results);
  return out;
}

describe("Web Crypto's CTR at counter offsets", () => {
  const data = pattern(300_017, 4);
  for (const [ivName, iv] of Object.entries(ivs)) {
    it(`OpenSSL's keystream, ${ivName}, in block-aligned, ragged and reversed chunks`, async () => {
      const want = reference(iv, data);
      expect(byteDiff(await transform(iv, data, [65_536]), want)).toEqual(sameBytes(want));
      expect(byteDiff(await transform(iv, data, [1, 15, 17, 4096, 33, 65_541]), want)).toEqual(sameBytes(want));
      expect(byteDiff(await transform(iv, data, [7_001], true), want)).toEqual(sameBytes(want));
    });
  }
});

describe("the Deno engine (Web Crypto's AES-CTR) and the Node engine", () => {
  it("is not the default on Node (node:crypto's AES is faster there)", () => {
    expect(ctx.bulk("auto").name).toBe("node");
  });

  for (const size of [0, 5 * 1024 * 1024 + 3, MAC_THREAD_MIN_BYTES + 1_000_003]) {
    it(`seal to the same ciphertext and tag, and open each other's (${size} bytes)`, async () => {
      const keys = payloadKeys(secret, ivs.random);
      const plaintext = new MemoryFile(pattern(size, 5));
      const authenticated = pattern(1234, 6);
      const sealed = [];
      for (const engine of [nodeBulk, denoBulk]) {
        const ciphertext = new MemoryFile();
        const r = await engine.seal({ keys, plaintext, ciphertext, authenticated });
        expect(await r.check(ciphertext, plaintext)).toBe(true);
        sealed.push({ tag: r.tag, ciphertext });
      }
      const [node, deno] = sealed;
      if (node === undefined || deno === undefined) throw new Error("two engines");
      expect(Buffer.from(deno.tag)).toEqual(Buffer.from(node.tag));
      expect(byteDiff(deno.ciphertext.bytes(), node.ciphertext.bytes())).toEqual(sameBytes(node.ciphertext.bytes()));
      for (const engine of [nodeBulk, denoBulk]) {
        const out = new MemoryFile();
        await engine.open({ keys, ciphertext: node.ciphertext, authenticated, tag: node.tag }, async () => out);
        expect(byteDiff(out.bytes(), plaintext.bytes())).toEqual(sameBytes(plaintext.bytes()));
      }
    });
  }
});
