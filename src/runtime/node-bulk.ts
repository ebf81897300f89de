import { createCipheriv, createDecipheriv, createHmac } from "node:crypto";
import type { Bulk } from "../bundle/bulk.js";
import type { FileNode, FileStorage } from "../wasi/index.js";

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

/**
 * AES-256-CTR and HMAC-SHA256 by Node's native crypto (AES-NI, SHA extensions). Same
 * bytes as the wasm engine: tests compare whole bundles made both ways.
 */
export const nodeBulk: Bulk = {
  name: "node",
  async encrypt(input, output, key, iv, macKey, macPrefix) {
    // One pass: each chunk is encrypted, MACed and written (encrypt-then-MAC over exactly the bytes written).
    const cipher = createCipheriv("aes-256-ctr", key, iv);
    const mac = createHmac("sha256", macKey).update(macPrefix);
    pump(
      input,
      (chunk) => {
        const ct = cipher.update(chunk);
        mac.update(ct);
        return ct;
      },
      output,
    );
    mac.update(cipher.final());
    return new Uint8Array(mac.digest());
  },
  async decrypt(input, output, key, iv) {
    const decipher = createDecipheriv("aes-256-ctr", key, iv);
    pump(input, (chunk) => decipher.update(chunk), output);
    decipher.final();
  },
  async hmac(key, input) {
    const mac = createHmac("sha256", key);
    pump(input, (chunk) => {
      mac.update(chunk);
      return undefined;
    });
    return new Uint8Array(mac.digest());
  },
  ctr(key, counter, data) {
    const decipher = createDecipheriv("aes-256-ctr", key, counter);
    return new Uint8Array(Buffer.concat([decipher.update(data), decipher.final()]));
  },
};
