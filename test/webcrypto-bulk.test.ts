import { describe, expect, it } from "vitest";
import { IntegrityError } from "../src/index.js";
import { MAC_THREAD_MIN_BYTES, type BulkEngine, type MacThread } from "../src/bundle/bulk/engine.js";
import { payloadKeys } from "../src/bundle/bulk/keys.js";
import { webCryptoBulk } from "../src/bundle/bulk/webcrypto.js";
import { wasmBulk } from "../src/bundle/bulk/wasm.js";
import { concatBytes, isStreamable, WindowFile, type Streamable } from "../src/bundle/views.js";
import { MemoryFile } from "../src/wasi/index.js";
import { openssl } from "./helpers/context.js";
import { pattern } from "./helpers/data.js";
import { unhex } from "../src/openssl/hex.js";

/**
 * The Web Crypto bulk engine (src/bundle/bulk/webcrypto.ts) on Node's Web Crypto, against the
 * wasm engine: the same ciphertext and tag for every size and every counter wrap, each opening the
 * other's payload, tampering refused. test/browser/webcrypto.test.ts runs the same in Chromium.
 */

const wasm = wasmBulk(openssl);
const web = webCryptoBulk(wasm);
const MIB = 1 << 20;
const authenticated = new TextEncoder().encode("header and wrapped keys");

function keysWith(iv: Uint8Array) {
  return payloadKeys(pattern(64, 99), iv);
}

async function sealWith(engine: BulkEngine, data: Uint8Array, iv: Uint8Array) {
  const ciphertext = new MemoryFile();
  const r = await engine.seal({ keys: keysWith(iv), plaintext: new MemoryFile(data), ciphertext, authenticated });
  return { ciphertext: ciphertext.bytes(), tag: r.tag, check: r.check };
}

async function openWith(engine: BulkEngine, ciphertext: Uint8Array, tag: Uint8Array, iv: Uint8Array) {
  let made: MemoryFile | undefined;
  await engine.open({ keys: keysWith(iv), ciphertext: new MemoryFile(ciphertext), authenticated, tag }, async () => (made = new MemoryFile()));
  return made?.bytes();
}

/**
 * A file in memory that also streams as a browser File's byte stream does: at most 100003 bytes a
 * read (its pieces have no fixed size), each read moving the caller's memory to a new ArrayBuffer
 * (a BYOB read transfers it).
 */
function streamed(bytes: Uint8Array): MemoryFile & Streamable {
  const file = new MemoryFile(bytes) as MemoryFile & Streamable;
  file.streamFrom = (from, to) => {
    let at = from;
    return {
      async read(into) {
        const { byteOffset, length } = into; // (gone once the memory moves)
        const moved = new Uint8Array(structuredClone(into.buffer, { transfer: [into.buffer] }), byteOffset, length);
        const n = Math.min(length, to - at, 100_003);
        moved.set(bytes.subarray(at, at + n));
        at += n;
        return moved.subarray(0, n);
      },
      cancel: async () => undefined,
    };
  };
  expect(isStreamable(file)).toBe(true);
  return file;
}

const IV = unhex("000102030405060708090a0b0c0d0e0f");
/** IVs whose counter wraps inside the payload: at 2^32 and 2^64 (a carry into the next word) and at 2^128 (back to zero). */
const WRAPS = {
  "2^32": unhex("000102030405060708090a0bfffffffd"),
  "2^64": unhex("0001020304050607fffffffffffffff0"),
  "2^128": unhex("fffffffffffffffffffffffffffffffe"),
  "2^128 at a chunk boundary": unhex("ffffffffffffffffffffffffffff0000"),
};

describe("Web Crypto bulk engine", () => {
  for (const size of [0, 1, 15, 16, 17, MIB - 1, MIB, MIB + 17, 3 * MIB + 5]) {
    it(`seals a payload of ${size} B as the wasm engine does, and each opens the other's`, async () => {
      const data = pattern(size, size);
      const a = await sealWith(wasm, data, IV);
      const b = await sealWith(web, data, IV);
      expect(Buffer.from(b.ciphertext).equals(Buffer.from(a.ciphertext))).toBe(true);
      expect(Buffer.from(b.tag).toString("hex")).toBe(Buffer.from(a.tag).toString("hex"));
      expect(Buffer.from((await openWith(web, a.ciphertext, a.tag, IV)) ?? []).equals(Buffer.from(data))).toBe(true);
      expect(Buffer.from((await openWith(wasm, b.ciphertext, b.tag, IV)) ?? []).equals(Buffer.from(data))).toBe(true);
    });
  }

  for (const [where, iv] of Object.entries(WRAPS)) {
    it(`wraps the counter at ${where} as OpenSSL does`, async () => {
      const data = pattern(2 * MIB + 100, 7);
      const a = await sealWith(wasm, data, iv);
      const b = await sealWith(web, data, iv);
      expect(Buffer.from(b.ciphertext).equals(Buffer.from(a.ciphertext))).toBe(true);
      expect(Buffer.from(b.tag).equals(Buffer.from(a.tag))).toBe(true);
    });
  }

  it("refuses an altered payload: a small one before making any output, a big one emptying it", async () => {
    for (const size of [100_000, MAC_THREAD_MIN_BYTES + 33]) {
      const data = pattern(size, 3);
      const { ciphertext, tag } = await sealWith(web, data, IV);
      const bad = ciphertext.slice();
      bad[size - 1] = (bad[size - 1] ?? 0) ^ 1;
      let made: MemoryFile | undefined;
      const opening = web.open({ keys: keysWith(IV), ciphertext: new MemoryFile(bad), authenticated, tag }, async () => (made = new MemoryFile()));
      await expect(opening).rejects.toThrow(IntegrityError);
      if (size < MAC_THREAD_MIN_BYTES) expect(made).toBeUndefined();
      else expect(made?.size()).toBe(0);
      expect(Buffer.from((await openWith(web, ciphertext, tag, IV)) ?? []).equals(Buffer.from(data))).toBe(true);
    }
  });

  it("leaves no MAC thread waiting when the output cannot be made (this engine and the wasm engine)", async () => {
    const { ciphertext, tag } = await sealWith(web, pattern(MAC_THREAD_MIN_BYTES + 5, 4), IV);
    const threads: { ended: boolean }[] = [];
    const thread = (): MacThread => {
      const t = { ended: false };
      threads.push(t);
      return { write: () => undefined, finish: async () => ((t.ended = true), new Uint8Array(32)), abort: () => void (t.ended = true) };
    };
    for (const engine of [webCryptoBulk(wasm, thread), wasmBulk(openssl, thread)]) {
      const opening = engine.open({ keys: keysWith(IV), ciphertext: new MemoryFile(ciphertext), authenticated, tag }, async () => {
        throw new Error("no room for the output");
      });
      await expect(opening, engine.name).rejects.toThrow("no room for the output");
    }
    expect(threads.filter((t) => !t.ended)).toEqual([]);
  });

  it("reads a file that streams (a browser File) through its stream, in pieces of any size", async () => {
    const data = pattern(3 * MIB + 77, 8);
    const a = await sealWith(wasm, data, WRAPS["2^64"]);
    const ciphertext = new MemoryFile();
    const r = await web.seal({ keys: keysWith(WRAPS["2^64"]), plaintext: streamed(data), ciphertext, authenticated });
    expect(Buffer.from(ciphertext.bytes()).equals(Buffer.from(a.ciphertext))).toBe(true);
    expect(Buffer.from(r.tag).equals(Buffer.from(a.tag))).toBe(true);
    // A payload inside a bundle: a window of a streaming file, opened in one pass.
    const big = pattern(MAC_THREAD_MIN_BYTES + 5, 9);
    const sealed = await sealWith(wasm, big, IV);
    const bundle = streamed(concatBytes([new Uint8Array(1536), sealed.ciphertext, new Uint8Array(512)]));
    let made: MemoryFile | undefined;
    await web.open({ keys: keysWith(IV), ciphertext: new WindowFile(bundle, 1536, big.length, "read"), authenticated, tag: sealed.tag }, async () => (made = new MemoryFile()));
    expect(Buffer.from(made?.bytes() ?? []).equals(Buffer.from(big))).toBe(true);
  });

  it("checks a stored payload against the original, and reports progress up to the size", async () => {
    const data = pattern(3 * MIB + 1, 5);
    const seen: number[] = [];
    const ciphertext = new MemoryFile();
    const r = await web.seal({ keys: keysWith(IV), plaintext: new MemoryFile(data), ciphertext, authenticated, progress: (n) => seen.push(n) });
    expect(seen).toEqual([MIB, 2 * MIB, 3 * MIB, 3 * MIB + 1]);
    expect(await r.check(ciphertext, new MemoryFile(data))).toBe(true);
    const other = data.slice();
    other[MIB + 5] = (other[MIB + 5] ?? 0) ^ 1;
    expect(await r.check(ciphertext, new MemoryFile(other))).toBe(false);
  });
});
