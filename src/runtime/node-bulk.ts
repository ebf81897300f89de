import { createCipheriv, createDecipheriv, createHmac } from "node:crypto";
import type { Bulk } from "../bundle/bulk.js";
import { ConcatFile } from "../bundle/views.js";
import type { FileNode, FileStorage } from "../wasi/index.js";
import { MAC_THREAD_MIN_BYTES, startMacThread, type MacThread } from "./mac-thread.js";

const CHUNK = 1 << 20;

/** Streams `input` through `transform` chunk by chunk (synchronous I/O, bounded memory). */
function pump(input: FileNode, transform: (chunk: Uint8Array) => Uint8Array | undefined, output?: FileNode): void {
  const src = input.open({ read: true, write: false });
  const dst: FileStorage | undefined = output?.open({ read: false, write: true });
  // Small files are the common case in a batch: do not allocate (and wipe) 4 MiB for 10 KiB.
  const buf = new Uint8Array(Math.max(1, Math.min(CHUNK, src.size())));
  let used = 0;
  try {
    dst?.truncate(0);
    let at = 0;
    for (;;) {
      const n = src.read(buf, at);
      if (n === 0) break;
      used = Math.max(used, n);
      const out = transform(buf.subarray(0, n));
      if (out !== undefined && out.length > 0) dst?.write(out, at);
      at += n;
    }
  } finally {
    buf.fill(0, 0, used);
    src.close();
    dst?.close();
  }
}

/** HMAC-SHA256 of `prefix` and what follows: on a second thread for big inputs, else in this one. */
function macOf(key: Uint8Array, prefix: Uint8Array, length: number): MacThread {
  if (length >= MAC_THREAD_MIN_BYTES) {
    const thread = startMacThread({ engine: "node", key }, prefix.length + length);
    thread.write(prefix);
    return thread;
  }
  const mac = createHmac("sha256", key).update(prefix);
  return {
    write: (bytes) => mac.update(bytes),
    finish: async () => new Uint8Array(mac.digest()),
    abort: () => undefined,
  };
}

/**
 * AES-256-CTR and HMAC-SHA256 by Node's native crypto (AES-NI, SHA extensions). Same
 * bytes as the wasm engine: tests compare whole bundles made both ways.
 */
export const nodeBulk: Bulk = {
  name: "node",
  async encrypt(input, output, key, iv, macKey, macPrefix) {
    // One pass: each chunk is encrypted, written and MACed (encrypt-then-MAC over exactly the bytes written).
    const cipher = createCipheriv("aes-256-ctr", key, iv);
    const mac = macOf(macKey, macPrefix, input.stat().size);
    try {
      pump(
        input,
        (chunk) => {
          const ct = cipher.update(chunk);
          mac.write(ct);
          return ct;
        },
        output,
      );
      mac.write(cipher.final());
      return await mac.finish();
    } catch (e) {
      mac.abort();
      throw e;
    }
  },
  async decrypt(input, output, key, iv) {
    const decipher = createDecipheriv("aes-256-ctr", key, iv);
    pump(input, (chunk) => decipher.update(chunk), output);
    decipher.final();
  },
  async decryptChecked(input, output, key, iv, macKey, macPrefix, check) {
    const size = input.stat().size;
    if (size < MAC_THREAD_MIN_BYTES) {
      check(await this.hmac(macKey, new ConcatFile([macPrefix, input.open({ read: true, write: false })])));
      return this.decrypt(input, output, key, iv);
    }
    // Big payloads: one read of each chunk feeds the MAC thread and the decryption at once.
    const decipher = createDecipheriv("aes-256-ctr", key, iv);
    const mac = macOf(macKey, macPrefix, size);
    try {
      pump(
        input,
        (chunk) => {
          mac.write(chunk);
          return decipher.update(chunk);
        },
        output,
      );
      decipher.final();
      check(await mac.finish());
    } catch (e) {
      mac.abort();
      throw e;
    }
  },
  async hmac(key, input) {
    const mac = createHmac("sha256", key);
    pump(input, (chunk) => {
      mac.update(chunk);
      return undefined;
    });
    return new Uint8Array(mac.digest());
  },
  equal: (a, b) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length)),
  ctr(key, counter, data) {
    const decipher = createDecipheriv("aes-256-ctr", key, counter);
    return new Uint8Array(Buffer.concat([decipher.update(data), decipher.final()]));
  },
};
