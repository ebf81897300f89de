import { createCipheriv, createDecipheriv, createHmac, type Cipher, type Decipher } from "node:crypto";
import * as fs from "node:fs";
import { MAC_THREAD_MIN_BYTES, type Bulk, type ReadBackAlongside } from "../bundle/bulk.js";
import type { FileNode, FileStorage } from "../wasi/index.js";
import { startCheckingMacThread, startMacThread } from "./mac-thread.js";

const CHUNK = 1 << 20;

/** Streams `input` through `transform` chunk by chunk (synchronous I/O, bounded memory); `written` sees each output chunk once it is written. */
function pump(input: FileNode, transform: (chunk: Uint8Array) => Uint8Array | undefined, output?: FileNode, written?: (out: Uint8Array) => void): void {
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
      if (out !== undefined && out.length > 0) {
        dst?.write(out, at);
        written?.(out);
      }
      at += n;
    }
  } finally {
    buf.fill(0, 0, used);
    src.close();
    dst?.close();
  }
}

const macAlongside = (size: number) => size >= MAC_THREAD_MIN_BYTES;

/**
 * The HMAC-SHA256 of `prefix` and of what `body` feeds it (`length` bytes): on a second thread for
 * big inputs, else in this one.
 */
async function macWhile(key: Uint8Array, prefix: Uint8Array, length: number, body: (write: (bytes: Uint8Array) => void) => void): Promise<Uint8Array> {
  if (!macAlongside(length)) {
    const mac = createHmac("sha256", key).update(prefix);
    body((bytes) => mac.update(bytes));
    return new Uint8Array(mac.digest());
  }
  const thread = startMacThread({ engine: "node", key }, prefix.length + length);
  try {
    thread.write(prefix);
    body((bytes) => thread.write(bytes));
    return await thread.finish();
  } catch (e) {
    thread.abort();
    throw e;
  }
}

/**
 * `input` through the CTR `cipher` into `output`, with the HMAC of `prefix` and the ciphertext:
 * the `output` when encrypting, the `input` when decrypting. CTR's `final()` gives no bytes.
 */
function ctrWithMac(cipher: Cipher | Decipher, input: FileNode, output: FileNode, macKey: Uint8Array, prefix: Uint8Array, ciphertext: "input" | "output"): Promise<Uint8Array> {
  return macWhile(macKey, prefix, input.stat().size, (mac) => {
    pump(
      input,
      (chunk) => {
        if (ciphertext === "input") mac(chunk);
        const out = cipher.update(chunk);
        if (ciphertext === "output") mac(out);
        return out;
      },
      output,
    );
    cipher.final();
  });
}

/**
 * `encrypt` for a big payload, with the read-back check done as the payload is written, in two
 * halves on the two threads. Here: each chunk of ciphertext decrypts to the original re-read
 * from its file. On the MAC thread: each chunk, sent there only once written, is what the bundle
 * file holds (see `DiskCopyCheck`). Together: the file's payload decrypts to the original, what
 * the check after the encryption proved, without a pass of its own.
 */
async function encryptCheckedAlongside(input: FileNode, output: FileNode, key: Uint8Array, iv: Uint8Array, macKey: Uint8Array, macPrefix: Uint8Array, check: ReadBackAlongside): Promise<{ tag: Uint8Array; matches: boolean }> {
  const size = input.stat().size;
  const cipher = createCipheriv("aes-256-ctr", key, iv);
  const decipher = createDecipheriv("aes-256-ctr", key, iv);
  const original = openOriginal(check.original);
  let again = new Uint8Array(0);
  let checked = 0;
  let matches = original !== undefined;
  const thread = startCheckingMacThread(macKey, { bundle: check.bundle, payloadAt: check.payloadAt, prefixLength: macPrefix.length }, macPrefix.length + size);
  try {
    thread.write(macPrefix);
    pump(input, (chunk) => cipher.update(chunk), output, (ciphertext) => {
      thread.write(ciphertext);
      if (!matches || original === undefined) return;
      if (again.length < ciphertext.length) again = new Uint8Array(ciphertext.length);
      const plain = decipher.update(ciphertext);
      matches = readFully(original, again.subarray(0, plain.length), checked) && plain.equals(again.subarray(0, plain.length));
      plain.fill(0);
      checked += ciphertext.length;
    });
    cipher.final();
    const onDisk = await thread.finish();
    return { tag: onDisk.tag, matches: matches && checked === size && onDisk.matches };
  } catch (e) {
    thread.abort();
    throw e;
  } finally {
    again.fill(0);
    if (original !== undefined) fs.closeSync(original);
  }
}

/** The original, opened again for the check (a file that cannot be opened fails the check). */
function openOriginal(p: string): number | undefined {
  try {
    return fs.openSync(p, "r");
  } catch {
    return undefined;
  }
}

/** Fills `into` from `fd` at `position`; false if the file ends first or cannot be read. */
function readFully(fd: number, into: Uint8Array, position: number): boolean {
  try {
    for (let done = 0; done < into.length; ) {
      const n = fs.readSync(fd, into, done, into.length - done, position + done);
      if (n === 0) return false;
      done += n;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * AES-256-CTR and HMAC-SHA256 by Node's native crypto (AES-NI, SHA extensions). Same
 * bytes as the wasm engine: tests compare whole bundles made both ways.
 */
export const nodeBulk: Bulk = {
  name: "node",
  // One pass: each chunk is encrypted, written and MACed (encrypt-then-MAC over exactly the bytes written).
  encrypt: (input, output, key, iv, macKey, macPrefix) => ctrWithMac(createCipheriv("aes-256-ctr", key, iv), input, output, macKey, macPrefix, "output"),
  async decrypt(input, output, key, iv) {
    const decipher = createDecipheriv("aes-256-ctr", key, iv);
    pump(input, (chunk) => decipher.update(chunk), output);
    decipher.final();
  },
  macAlongside,
  encryptCheckedAlongside,
  // One read of each chunk feeds the MAC thread and the decryption at once.
  decryptAlongside: (input, output, key, iv, macKey, macPrefix) => ctrWithMac(createDecipheriv("aes-256-ctr", key, iv), input, output, macKey, macPrefix, "input"),
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
