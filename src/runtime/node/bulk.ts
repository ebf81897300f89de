import { createCipheriv, createDecipheriv, createHmac } from "node:crypto";
import { MAC_THREAD_MIN_BYTES, type BulkEngine, type OpenJob } from "../../bundle/bulk/engine.js";
import { CtrPlaintextView } from "../../bundle/bulk/ctr-view.js";
import type { AesKey, PayloadKeys } from "../../bundle/bulk/keys.js";
import { decryptsTo, macAlong, requireTag, requireTagAfter } from "../../bundle/bulk/steps.js";
import type { FileNode } from "../../wasi/index.js";
import { sealCheckedAlongside } from "./checked-seal.js";
import { startMacThread } from "./mac-thread.js";
import { CHUNK, nativeEqual, pump } from "./pump.js";

/** AES-256-CTR over `input` into `output` (decrypting is the same transform). CTR's `final()` gives no bytes. */
function ctrStream(keys: PayloadKeys, input: FileNode, output: FileNode): void {
  const cipher = createCipheriv("aes-256-ctr", keys.cipher, keys.iv);
  pump(input, (chunk) => cipher.update(chunk), output);
  cipher.final();
}

/** The tag of a payload, in this thread. */
export function tagOf(job: Pick<OpenJob, "keys" | "authenticated">, payload: FileNode): Uint8Array {
  const mac = createHmac("sha256", job.keys.mac).update(job.authenticated);
  pump(payload, (chunk) => {
    mac.update(chunk);
    return undefined;
  });
  return new Uint8Array(mac.digest());
}

/** AES-256-CTR of `data` from counter block `counter` (rotation's reads, a stream's spool). */
function ctrAt(key: AesKey, counter: Uint8Array, data: Uint8Array): Uint8Array {
  const decipher = createDecipheriv("aes-256-ctr", key, counter);
  return new Uint8Array(Buffer.concat([decipher.update(data), decipher.final()]));
}

/**
 * Decrypts while the MAC thread computes the tag over the ciphertext. Each chunk is read straight
 * into the thread's ring (`reserve`: a copy into shared memory is V8's slow relaxed one, about
 * 0.7 s per GiB here), decrypted from there, and only then handed to the thread, so both read the
 * same bytes.
 */
function openAlongside(job: OpenJob, output: FileNode): Promise<Uint8Array> {
  const size = job.ciphertext.stat().size;
  const decipher = createDecipheriv("aes-256-ctr", job.keys.cipher, job.keys.iv);
  const thread = startMacThread(job.keys.mac, job.authenticated.length + size);
  return macAlong(thread, job.authenticated, () => {
    const src = job.ciphertext.open({ read: true, write: false });
    const dst = output.open({ read: false, write: true });
    try {
      dst.truncate(0);
      for (let at = 0; ; ) {
        const room = thread.reserve(CHUNK);
        const n = src.read(room, at);
        if (n === 0) break;
        const plain = decipher.update(room.subarray(0, n));
        thread.commit(n);
        dst.write(plain, at);
        at += n;
      }
      decipher.final();
    } finally {
      src.close();
      dst.close();
    }
  });
}

/**
 * The bulk engine on Node's native crypto (AES-NI, SHA extensions): the same bytes as the wasm
 * engine (tests compare whole bundles made both ways). Below MAC_THREAD_MIN_BYTES everything runs
 * in this thread; above, the HMAC runs on a second one, and sealing with an original checks each
 * chunk as it is written (checked-seal.ts) instead of in a pass after.
 */
export const nodeBulk: BulkEngine = {
  name: "node",
  async seal(job) {
    const size = job.plaintext.stat().size;
    if (size >= MAC_THREAD_MIN_BYTES && job.original !== undefined) return sealCheckedAlongside(job, job.original, size);
    const cipher = createCipheriv("aes-256-ctr", job.keys.cipher, job.keys.iv);
    let tag: Uint8Array;
    if (size < MAC_THREAD_MIN_BYTES) {
      // One pass: each chunk is encrypted, written and MACed (encrypt-then-MAC over exactly the bytes written).
      const mac = createHmac("sha256", job.keys.mac).update(job.authenticated);
      pump(job.plaintext, (chunk) => {
        const out = cipher.update(chunk);
        mac.update(out);
        return out;
      }, job.ciphertext);
      tag = new Uint8Array(mac.digest());
    } else {
      const thread = startMacThread(job.keys.mac, job.authenticated.length + size);
      tag = await macAlong(thread, job.authenticated, () =>
        pump(job.plaintext, (chunk) => {
          const out = cipher.update(chunk);
          thread.write(out);
          return out;
        }, job.ciphertext),
      );
    }
    cipher.final();
    return { tag, check: (stored, original) => decryptsTo(original, size, async (into) => ctrStream(job.keys, stored, into), nativeEqual) };
  },
  async open(job, output) {
    if (job.tagFirst === true || job.ciphertext.stat().size < MAC_THREAD_MIN_BYTES) {
      requireTag(tagOf(job, job.ciphertext), job.tag);
      ctrStream(job.keys, job.ciphertext, await output());
      return;
    }
    const out = await output();
    requireTagAfter(await openAlongside(job, out), job.tag, out);
  },
  async view(job) {
    requireTag(tagOf(job, job.ciphertext), job.tag);
    return new CtrPlaintextView(job.ciphertext.open({ read: true, write: false }), job.keys.iv, (counter, data) => ctrAt(job.keys.cipher, counter, data));
  },
  async ctr(key) {
    return (counter, data) => ctrAt(key, counter, data);
  },
};
