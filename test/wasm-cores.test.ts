import { createCipheriv } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { IntegrityError } from "../src/index.js";
import { verbsOn } from "../src/api/verbs.js";
import { ALONGSIDE_MIN_BYTES, coresBulk, type CorePass } from "../src/bundle/bulk/cores.js";
import type { BulkEngine } from "../src/bundle/bulk/engine.js";
import { payloadKeys, type CtrIv } from "../src/bundle/bulk/keys.js";
import { planSegments, SegmentSchedule, segmentCounter } from "../src/bundle/bulk/segments.js";
import { wasmBulk } from "../src/bundle/bulk/wasm.js";
import { StreamSink, WindowFile } from "../src/bundle/views.js";
import { nodeCoreThreads } from "../src/runtime/node/core-threads.js";
import { MemoryFile, type FileNode } from "../src/wasi/index.js";
import { ctx } from "./helpers/context.js";
import { byteDiff, hex, pattern, sameBytes } from "./helpers/data.js";
import { deterministic, nondeterministic } from "./helpers/determinism.js";
import { cli } from "./helpers/cli.js";
import { hostKey, type TestKey } from "./helpers/keys.js";

/**
 * The wasm engine on every core (src/bundle/bulk/cores.ts, src/runtime/node/core-threads.ts): the
 * payload cut into segments encrypted at once on worker threads, the HMAC on one more. Its bundles
 * must be the single-thread engine's byte for byte, whatever the segments' size.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-cores-"));
let k: TestKey;
beforeAll(() => {
  k = hostKey(tmp, "k");
});
afterEach(nondeterministic);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const single = wasmBulk(ctx.openssl);
/**
 * The engine on `count` threads with segments of `segmentBytes`; the MAC alongside the cipher on
 * a thread of its own (as for big payloads), or after it on the same thread (small ones).
 */
const cores = (segmentBytes: number, count = 2, alongside = true) => coresBulk(ctx.openssl, single, nodeCoreThreads(count), { alongsideBytes: alongside ? 0 : Infinity, segmentBytes });
const verbs = (engine: BulkEngine) => verbsOn(() => ({ ...ctx, bulk: () => engine }));

describe("segments", () => {
  it("cover the payload in order, the last one shorter", () => {
    expect(planSegments(10, 4)).toEqual([{ start: 0, length: 4 }, { start: 4, length: 4 }, { start: 8, length: 2 }]);
    expect(planSegments(3, 4)).toEqual([{ start: 0, length: 3 }]);
    expect(planSegments(0, 4)).toEqual([]);
    expect(() => planSegments(10, 0)).toThrow(RangeError);
  });

  it("start at the counter block of their first byte, skipping its part before them", () => {
    const iv = Uint8Array.from({ length: 16 }, (_, i) => (i < 14 ? 0 : 0xff)) as CtrIv;
    expect(segmentCounter(iv, 0)).toEqual({ counter: iv, skip: 0 });
    // Block 1 carries out of the last two bytes.
    expect(hex(segmentCounter(iv, 16).counter)).toBe(`${"00".repeat(13)}010000`);
    expect(segmentCounter(iv, 16 * 3 + 5).skip).toBe(5);
  });

  it("are complete from the start as far as every segment before is, whatever order they finish in", () => {
    const s = new SegmentSchedule(planSegments(10, 4));
    expect([s.take(), s.take()]).toEqual([0, 1]);
    s.advance(1, 4);
    expect(s.frontier()).toBe(0);
    s.advance(0, 3);
    expect(s.frontier()).toBe(3);
    s.advance(0, 1);
    expect(s.frontier()).toBe(8);
    expect(s.take()).toBe(2);
    s.advance(2, 2);
    expect([s.frontier(), s.complete(), s.take()]).toEqual([10, true, undefined]);
  });
});

describe("the wasm engine on every core", () => {
  // Segment sizes that are not multiples of the AES block, payloads smaller than one segment, empty.
  const cases = [
    { size: 5 * 1024 * 1024 + 3, segment: (1 << 20) + 5 },
    { size: 700_001, segment: 65_536 + 7 },
    { size: 100_000, segment: 1 << 20 },
    { size: 33, segment: 7 },
    { size: 0, segment: 1 << 20 },
  ];
  for (const { size, segment } of cases) {
    for (const alongside of [true, false]) {
      it(`makes the single-thread engine's bundle for ${size} bytes in segments of ${segment}, the MAC ${alongside ? "alongside" : "after"}, and opens it`, async () => {
        const data = pattern(size, size + 11);
        const options = { publicKeys: [k.pubPem], name: "d.bin", signWith: { key: k.privPem } };
        deterministic();
        const one = await verbs(single).encryptBytes(data, options);
        deterministic();
        const many = await verbs(cores(segment, 2, alongside)).encryptBytes(data, options);
        nondeterministic();
        expect(byteDiff(many, one)).toEqual(sameBytes(one));
        const back = await verbs(cores(segment, 3, alongside)).decryptBytes(one, { privateKey: { key: k.privPem } });
        expect(byteDiff(back.plaintext, data)).toEqual(sameBytes(data));
      });
    }
  }

  it("refuses a payload altered in a segment other than the first", async () => {
    const data = pattern(3 * 1024 * 1024 + 9, 4);
    const bundle = await verbs(single).encryptBytes(data, { publicKeys: [k.pubPem] });
    const at = Buffer.from(bundle).lastIndexOf(Buffer.from("meta.json")) - 512 - 1_000_000;
    const bad = bundle.slice();
    bad[at] = (bad[at] ?? 0) ^ 0x80;
    for (const alongside of [true, false]) await expect(verbs(cores((1 << 20) + 5, 2, alongside)).decryptBytes(bad, { privateKey: { key: k.privPem } })).rejects.toThrow(IntegrityError);
  });

  const keys = payloadKeys(pattern(64, 1), pattern(16, 2));
  const prefix = new TextEncoder().encode("header and wrapped keys");
  /** The payload sealed into memory by the engine on every core. */
  async function sealed(data: Uint8Array) {
    const out = new MemoryFile();
    const r = await cores((1 << 20) + 5).seal({ keys, plaintext: new MemoryFile(data), ciphertext: new WindowFile(out, 0, data.length, "write"), authenticated: prefix });
    return { ...r, ciphertext: out.bytes().slice() };
  }

  it("encrypts as AES-256-CTR from the IV (node:crypto as referee), and its read-back check fails on one wrong byte", async () => {
    const data = pattern(4 * 1024 * 1024 + 1, 5);
    const r = await sealed(data);
    const c = createCipheriv("aes-256-ctr", keys.cipher, keys.iv);
    const expected = new Uint8Array(Buffer.concat([c.update(data), c.final()]));
    expect(byteDiff(r.ciphertext, expected)).toEqual(sameBytes(expected));
    const tag = await single.seal({ keys, plaintext: new MemoryFile(data), ciphertext: new WindowFile(new MemoryFile(), 0, data.length, "write"), authenticated: prefix });
    expect(hex(r.tag)).toBe(hex(tag.tag));
    expect(await r.check(new MemoryFile(r.ciphertext), new MemoryFile(data))).toBe(true);
    const wrong = r.ciphertext.slice();
    wrong[3_000_000] = (wrong[3_000_000] ?? 0) ^ 1;
    expect(await r.check(new MemoryFile(wrong), new MemoryFile(data))).toBe(false);
    const other = data.slice();
    other[data.length - 1] = (other[data.length - 1] ?? 0) ^ 1;
    expect(await r.check(new MemoryFile(r.ciphertext), new MemoryFile(other))).toBe(false);
  });

  it("fails with the output's own error when it cannot be written, and its threads are replaced for the next payload", async () => {
    const data = pattern(3 * 1024 * 1024, 6);
    const engine = cores((1 << 20) + 5);
    const out = new MemoryFile();
    const full: FileNode = new WindowFile({ read: (d, p) => out.read(d, p), write: (s, p) => (p > 2_000_000 ? raise() : out.write(s, p)) }, 0, data.length, "write");
    await expect(engine.seal({ keys, plaintext: new MemoryFile(data), ciphertext: full, authenticated: prefix })).rejects.toThrow("ENOSPC");
    const fine = new MemoryFile();
    const r = await engine.seal({ keys, plaintext: new MemoryFile(data), ciphertext: new WindowFile(fine, 0, data.length, "write"), authenticated: prefix });
    expect(await r.check(new MemoryFile(fine.bytes()), new MemoryFile(data))).toBe(true);
  });

  it("runs the MAC alongside the cipher from ALONGSIDE_MIN_BYTES, after it below (the tag before any plaintext)", async () => {
    const passes: string[] = [];
    const spy = { count: 2, run: async (_m: WebAssembly.Module, p: CorePass) => (passes.push(`${p.segments.length > 0 ? "cipher" : ""}${p.mac === undefined ? "" : `+mac over ${p.mac.over}`}`), new Uint8Array(32)) };
    const engine = coresBulk(ctx.openssl, single, spy);
    const job = (n: number) => ({ keys, plaintext: new MemoryFile(new Uint8Array(n)), ciphertext: new WindowFile(new MemoryFile(), 0, n, "write"), authenticated: prefix });
    await engine.seal(job(1000));
    await engine.seal(job(ALONGSIDE_MIN_BYTES));
    const opened = { keys, ciphertext: new MemoryFile(new Uint8Array(1000)), authenticated: prefix, tag: new Uint8Array(32) };
    await engine.open(opened, async () => new MemoryFile());
    expect(passes).toEqual(["cipher", "+mac over input", "cipher+mac over output", "+mac over input", "cipher"]);
  });

  it("decrypts into a stream (tagFirst) in order, the tag checked before the first byte", async () => {
    const data = pattern(3 * 1024 * 1024 + 9, 8);
    const r = await sealed(data);
    const got: Uint8Array[] = [];
    const job = { keys, ciphertext: new MemoryFile(r.ciphertext), authenticated: prefix, tag: r.tag, tagFirst: true };
    // Segments of a bit over 1 MiB: a stream that took them as they finish would refuse the out-of-order writes.
    await cores((1 << 20) + 5, 2, true).open(job, async () => new StreamSink((b) => got.push(b.slice())));
    const back = new Uint8Array(Buffer.concat(got));
    expect(byteDiff(back, data)).toEqual(sameBytes(data));
    got.length = 0;
    await expect(cores((1 << 20) + 5).open({ ...job, tag: new Uint8Array(32) }, async () => new StreamSink((b) => got.push(b)))).rejects.toThrow(IntegrityError);
    expect(got).toEqual([]);
  });
});

describe("the CLI with --engine wasm (the engine's threads)", () => {
  it("encrypts a batch of small files and a big one (the MAC alongside), and each decrypts to its original", () => {
    const dir = fs.mkdtempSync(path.join(tmp, "cli-"));
    const names = Array.from({ length: 20 }, (_, i) => `f${i}.dat`);
    names.forEach((n, i) => fs.writeFileSync(path.join(dir, n), pattern(10_000 + i, i)));
    fs.writeFileSync(path.join(dir, "big.dat"), pattern(ALONGSIDE_MIN_BYTES + 12_345, 77));
    // The process must live until the last file is done: the engine threads are held while a pass runs.
    const enc = cli(["encrypt", ...names, "big.dat", "--keep", "--pubkey", k.pub, "--engine", "wasm"], dir);
    expect(enc.stderr).not.toMatch(/error|failed/i);
    expect(enc.status).toBe(0);
    expect(enc.stdout.toString().trim().split("\n")).toHaveLength(names.length + 1);
    for (const n of [names[0] ?? "", names[19] ?? "", "big.dat"]) {
      const dec = cli(["decrypt", `${n}.enc`, "--privkey", k.priv, "--out", `${n}.back`, "--engine", "wasm"], dir);
      expect(dec.status).toBe(0);
      expect(fs.readFileSync(path.join(dir, `${n}.back`)).equals(fs.readFileSync(path.join(dir, n)))).toBe(true);
    }
  });
});

function raise(): never {
  throw new Error("ENOSPC: no space left on device");
}
