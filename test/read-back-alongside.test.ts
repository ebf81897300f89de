import { createDecipheriv, createHmac } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { encrypt, readPublicKey } from "../src/index.js";
import { MAC_THREAD_MIN_BYTES } from "../src/bundle/bulk/engine.js";
import { payloadKeys } from "../src/bundle/bulk/keys.js";
import { seal } from "../src/bundle/v2.js";
import { concatBytes, WindowFile } from "../src/bundle/views.js";
import { nodeBulk } from "../src/runtime/node/bulk.js";
import { NodeFileStorage } from "../src/runtime/node/fs.js";
import { MemoryFile, type FileStorage } from "../src/wasi/index.js";
import { ctx } from "./helpers/context.js";
import { pattern } from "./helpers/data.js";
import { deterministic, nondeterministic } from "./helpers/determinism.js";
import { hostKey, type TestKey } from "./helpers/keys.js";

/**
 * Big payloads on Node: the read-back check's payload part runs as the payload is written
 * (nodeBulk.seal given the original, src/runtime/node/checked-seal.ts). It must read the disk's copies of both the bundle and the
 * original, so a byte wrong in either fails it, and the tag must cover the bundle's own bytes.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-alongside-"));
let k: TestKey;
beforeAll(() => {
  k = hostKey(tmp, "k");
});
afterEach(nondeterministic);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SIZE = MAC_THREAD_MIN_BYTES + 123_457;
const PAYLOAD_AT = 1536;
const key = new Uint8Array(32).fill(7);
const iv = new Uint8Array(16).fill(9);
const macKey = new Uint8Array(32).fill(11);
const prefix = new TextEncoder().encode("header and wrapped keys");

/** The original, re-read from its file (one that cannot be opened fails every read). */
function originalAt(p: string): Pick<FileStorage, "read"> & { close(): void } {
  if (!fs.existsSync(p)) return { read: () => { throw new Error(`ENOENT: ${p}`); }, close: () => undefined };
  return new NodeFileStorage(fs.openSync(p, "r"));
}

/**
 * Runs the check with the payload written to a file at PAYLOAD_AT. `corruptAt` flips one byte on
 * its way to the disk; `unreadable` makes reading the bundle back fail.
 */
async function run(data: Uint8Array, original: string, o: { corruptAt?: number; unreadable?: boolean } = {}) {
  const bundle = path.join(tmp, `b-${Math.random().toString(16).slice(2)}`);
  const storage = new NodeFileStorage(fs.openSync(bundle, "w+"));
  const disk = {
    read(dst: Uint8Array, at: number) {
      if (o.unreadable === true) throw new Error("EIO");
      return storage.read(dst, at);
    },
    write(src: Uint8Array, at: number) {
      const c = o.corruptAt;
      if (c !== undefined && c >= at - PAYLOAD_AT && c < at - PAYLOAD_AT + src.length) {
        const bad = src.slice();
        bad[c - (at - PAYLOAD_AT)] = (bad[c - (at - PAYLOAD_AT)] ?? 0) ^ 1;
        src = bad;
      }
      storage.write(src, at);
    },
  };
  const from = originalAt(original);
  try {
    const keys = payloadKeys(concatBytes([key, macKey]), iv);
    const r = await nodeBulk.seal({ keys, plaintext: new MemoryFile(data), ciphertext: new WindowFile(disk, PAYLOAD_AT, data.length, "write"), authenticated: prefix, original: from });
    const matches = await r.check(new WindowFile(disk, PAYLOAD_AT, data.length, "read"), from);
    const ciphertext = fs.readFileSync(bundle).subarray(PAYLOAD_AT);
    return { tag: r.tag, matches, ciphertext };
  } finally {
    from.close();
    storage.close();
  }
}

describe("the read-back check alongside the encryption (node)", () => {
  const data = pattern(SIZE, 3);
  const original = path.join(tmp, "original");
  beforeAll(() => fs.writeFileSync(original, data));

  it("matches for a faithful write; the tag covers the prefix and the ciphertext; the ciphertext decrypts to the original", async () => {
    const r = await run(data, original);
    expect(r.matches).toBe(true);
    expect(Buffer.from(r.tag)).toEqual(createHmac("sha256", macKey).update(prefix).update(r.ciphertext).digest());
    const d = createDecipheriv("aes-256-ctr", key, iv);
    expect(Buffer.concat([d.update(r.ciphertext), d.final()]).equals(Buffer.from(data))).toBe(true);
  });

  it("fails for one byte wrong on the disk, at the start, in the middle or at the end of the payload", async () => {
    for (const at of [0, SIZE >> 1, SIZE - 1]) expect((await run(data, original, { corruptAt: at })).matches, String(at)).toBe(false);
  });

  it("fails when the original on disk differs from what was encrypted, or is shorter", async () => {
    const other = path.join(tmp, "other");
    const changed = data.slice();
    changed[20_000_001] = (changed[20_000_001] ?? 0) ^ 0x40;
    fs.writeFileSync(other, changed);
    expect((await run(data, other)).matches).toBe(false);
    fs.writeFileSync(other, data.subarray(0, SIZE - 1));
    expect((await run(data, other)).matches).toBe(false);
  });

  it("fails, and still finishes, when the bundle cannot be read back or the original cannot be opened", async () => {
    expect((await run(data, original, { unreadable: true })).matches).toBe(false);
    expect((await run(data, path.join(tmp, "no-such-file"))).matches).toBe(false);
  });

  it("gives the bundle the wasm engine gives, through encrypt() on a file", async () => {
    const out = { wasm: path.join(tmp, "w.enc"), auto: path.join(tmp, "a.enc") };
    for (const engine of ["wasm", "auto"] as const) {
      deterministic();
      await encrypt(original, { publicKeys: [k.pubPem], keep: true, engine, out: out[engine], noDate: true });
    }
    expect(fs.readFileSync(out.auto).equals(fs.readFileSync(out.wasm))).toBe(true);
  });

  it("is what seal()'s verify() reports: its result, not a second pass over the payload", async () => {
    const other = path.join(tmp, "other-2");
    const changed = data.slice();
    changed[5] = (changed[5] ?? 0) ^ 1;
    fs.writeFileSync(other, changed);
    for (const [against, expected] of [[original, true], [other, false]] as const) {
      const bundle = path.join(tmp, `s-${String(expected)}.enc`);
      const storage = new NodeFileStorage(fs.openSync(bundle, "w+"));
      const from = originalAt(against);
      const s = await seal(ctx, new MemoryFile(data), storage, { recipients: [await readPublicKey(k.pubPem)], original: from });
      // Given the true original, a check after the encryption would pass: only the one done alongside can fail.
      expect(await s.verify(storage, new MemoryFile(data))).toBe(expected);
      s.wipe();
      from.close();
      storage.close();
    }
  });
});
