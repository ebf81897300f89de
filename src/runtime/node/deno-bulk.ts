import { createHmac } from "node:crypto";
import { MAC_THREAD_MIN_BYTES, type BulkEngine } from "../../bundle/bulk/engine.js";
import { counterAt } from "../../bundle/bulk/ctr-view.js";
import type { PayloadKeys } from "../../bundle/bulk/keys.js";
import { decryptsTo, macAlong, requireTag, requireTagAfter } from "../../bundle/bulk/steps.js";
import type { FileNode } from "../../wasi/index.js";
import { nodeBulk, tagOf } from "./bulk.js";
import { startMacThread } from "./mac-thread.js";
import { CHUNK, nativeEqual } from "./pump.js";

const BLOCK = 16;
/** Chunks Web Crypto works on at once, on Deno's blocking-task threads, while this thread reads and writes. */
const IN_FLIGHT = 2;

/** AES-256-CTR of a payload's bytes from any offset; each call independent (its own counter block). */
export type CtrAt = (offset: number, data: Uint8Array) => Promise<Uint8Array>;

/**
 * Web Crypto's AES-CTR with a payload's keys. Under Deno, node:crypto's AES-CTR runs at about a
 * quarter of Web Crypto's speed (0.3 against 0.9-1.2 GB/s of CPU time, Deno 2.9, this machine).
 * `length: 128`: the whole counter block counts, as in OpenSSL's CTR. A chunk that starts inside a
 * block is padded in front to the block's start and the padding's output dropped; Web Crypto copies
 * its input when called, so `data` is free again once this returns.
 */
export async function subtleCtr(keys: PayloadKeys): Promise<CtrAt> {
  const raw = Uint8Array.from(keys.cipher); // Web Crypto takes an ArrayBuffer's bytes: a copy, zeroed once imported
  const key = await crypto.subtle.importKey("raw", raw, "AES-CTR", false, ["encrypt"]).finally(() => raw.fill(0));
  return async (offset, data) => {
    const skip = offset % BLOCK;
    // Web Crypto takes neither shared memory nor a misaligned start: such a chunk is copied.
    const input = skip === 0 && data.buffer instanceof ArrayBuffer ? (data as Uint8Array<ArrayBuffer>) : new Uint8Array(skip + data.length);
    if (input !== data) input.set(data, skip);
    const pending = crypto.subtle.encrypt({ name: "AES-CTR", counter: counterAt(keys.iv, offset - skip) as Uint8Array<ArrayBuffer>, length: 128 }, key, input);
    if (input !== data) input.fill(0);
    const out = new Uint8Array(await pending);
    out.fill(0, 0, skip); // the padding's output: keystream
    return out.subarray(skip);
  };
}

/** Zeroes a result if it is plaintext, and gives its memory back now (left to the collector, a GiB of results kept Deno at 300-400 MB). */
function release(result: Uint8Array, plaintext: boolean): void {
  if (plaintext) result.fill(0);
  (result.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer }).transfer?.(0);
}

/** Where the bytes of a pass also go: `input` sees each chunk read, `output` each result written. */
interface Taps {
  input?: (chunk: Uint8Array) => void;
  output?: (result: Uint8Array) => void;
  /** The results are plaintext (decrypting): zeroed once written. */
  plaintext?: boolean;
}

/** Streams `input` through Web Crypto's AES-256-CTR into `output`, IN_FLIGHT chunks at a time (synchronous I/O, bounded memory). */
async function subtlePump(keys: PayloadKeys, input: FileNode, output: FileNode, taps: Taps = {}): Promise<void> {
  const ctr = await subtleCtr(keys);
  const src = input.open({ read: true, write: false });
  const dst = output.open({ read: false, write: true });
  const buf = new Uint8Array(Math.max(1, Math.min(CHUNK, src.size())));
  const flight: { at: number; result: Promise<Uint8Array> }[] = [];
  const land = async (): Promise<void> => {
    const first = flight.shift() as { at: number; result: Promise<Uint8Array> };
    const result = await first.result;
    try {
      dst.write(result, first.at);
      taps.output?.(result);
    } finally {
      release(result, taps.plaintext === true);
    }
  };
  try {
    dst.truncate(0);
    for (let at = 0; ; ) {
      const n = src.read(buf, at);
      if (n === 0) break;
      taps.input?.(buf.subarray(0, n));
      const result = ctr(at, buf.subarray(0, n));
      // Observed when its turn comes; a failure before then must not become an unhandled rejection.
      result.catch(() => undefined);
      flight.push({ at, result });
      at += n;
      if (flight.length >= IN_FLIGHT) await land();
    }
    while (flight.length > 0) await land();
  } finally {
    // After a failure: what is still in flight is awaited and given back, none left running.
    for (const { result } of flight.splice(0)) await result.then((r) => release(r, taps.plaintext === true), () => undefined);
    buf.fill(0);
    src.close();
    dst.close();
  }
}

/**
 * The default engine under Deno: Web Crypto's AES-CTR (see subtleCtr), node:crypto's HMAC-SHA256
 * (as fast as Node's there), on a MAC thread above MAC_THREAD_MIN_BYTES. Node keeps nodeBulk; the
 * same bytes as both other engines (test/deno/engines.test.ts). The read-back check is the pass
 * after the encryption; a stream's spool and rotation's reads are node:crypto's (synchronous).
 */
export const denoBulk: BulkEngine = {
  ...nodeBulk,
  name: "deno",
  async seal(job) {
    const size = job.plaintext.stat().size;
    let tag: Uint8Array;
    if (size < MAC_THREAD_MIN_BYTES) {
      const mac = createHmac("sha256", job.keys.mac).update(job.authenticated);
      await subtlePump(job.keys, job.plaintext, job.ciphertext, { output: (out) => void mac.update(out) });
      tag = new Uint8Array(mac.digest());
    } else {
      const thread = startMacThread(job.keys.mac, job.authenticated.length + size);
      tag = await macAlong(thread, job.authenticated, () => subtlePump(job.keys, job.plaintext, job.ciphertext, { output: (out) => thread.write(out) }));
    }
    return { tag, check: (stored, original) => decryptsTo(original, size, (into) => subtlePump(job.keys, stored, into, { plaintext: true }), nativeEqual) };
  },
  async open(job, output) {
    const size = job.ciphertext.stat().size;
    if (job.tagFirst === true || size < MAC_THREAD_MIN_BYTES) {
      requireTag(tagOf(job, job.ciphertext), job.tag);
      await subtlePump(job.keys, job.ciphertext, await output(), { plaintext: true });
      return;
    }
    // The MAC thread computes the tag over the ciphertext as it is decrypted; judged once written.
    const out = await output();
    const thread = startMacThread(job.keys.mac, job.authenticated.length + size);
    requireTagAfter(await macAlong(thread, job.authenticated, () => subtlePump(job.keys, job.ciphertext, out, { input: (chunk) => thread.write(chunk), plaintext: true })), job.tag, out);
  },
};
