import { createCipheriv, createDecipheriv, createHmac } from "node:crypto";
import * as fs from "node:fs";
import { MAC_THREAD_MIN_BYTES, type Bulk } from "../bundle/bulk.js";
import type { FileNode, FileStorage } from "../wasi/index.js";
import { CompareSink } from "../bundle/views.js";
import { startMacThread, type RingMacThread } from "./mac-thread.js";
import { NodeFileStorage } from "./node-fs.js";

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
  return onMacThread(key, prefix, length, (thread) => body((bytes) => thread.write(bytes)));
}

/** The HMAC-SHA256 of `prefix` and of the `length` bytes `body` gives the thread, on a second thread. */
async function onMacThread(key: Uint8Array, prefix: Uint8Array, length: number, body: (thread: RingMacThread) => void): Promise<Uint8Array> {
  const thread = startMacThread({ engine: "node", key }, prefix.length + length);
  try {
    thread.write(prefix);
    body(thread);
    return await thread.finish();
  } catch (e) {
    thread.abort();
    throw e;
  }
}

/** `input` encrypted into `output`, with the HMAC of `prefix` and of the ciphertext written. CTR's `final()` gives no bytes. */
function encryptWithMac(input: FileNode, output: FileNode, key: Uint8Array, iv: Uint8Array, macKey: Uint8Array, prefix: Uint8Array): Promise<Uint8Array> {
  const cipher = createCipheriv("aes-256-ctr", key, iv);
  return macWhile(macKey, prefix, input.stat().size, (mac) => {
    pump(
      input,
      (chunk) => {
        const out = cipher.update(chunk);
        mac(out);
        return out;
      },
      output,
    );
    cipher.final();
  });
}

/**
 * Decrypts `input` into `output` while the MAC thread computes the HMAC of `prefix` and the
 * ciphertext. Each chunk is read straight into the thread's ring (`reserve`: a copy into shared
 * memory is V8's slow relaxed one, about 0.7 s per GiB here), decrypted from there, and only then
 * handed to the thread, so both read the same bytes. Only for big payloads (`macAlongside`).
 */
async function decryptAlongside(input: FileNode, output: FileNode, key: Uint8Array, iv: Uint8Array, macKey: Uint8Array, prefix: Uint8Array): Promise<Uint8Array> {
  const decipher = createDecipheriv("aes-256-ctr", key, iv);
  return onMacThread(macKey, prefix, input.stat().size, (thread) => {
    const src = input.open({ read: true, write: false });
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
 * `encrypt` for a big payload, with the read-back check done as the payload is written instead
 * of in a pass after it. Each chunk, once written, is read back from the bundle file straight
 * into the MAC thread's ring (see `decryptAlongside` for why not a copy) and compared with what
 * was computed, so the tag covers the file's own bytes; and the ciphertext is decrypted and
 * compared with the original re-read from its file. Together: the file's payload decrypts to the
 * original, what the pass after the encryption proved.
 */
async function encryptCheckedAlongside(input: FileNode, output: FileNode, key: Uint8Array, iv: Uint8Array, macKey: Uint8Array, macPrefix: Uint8Array, originalPath: string): Promise<{ tag: Uint8Array; matches: boolean }> {
  const size = input.stat().size;
  const cipher = createCipheriv("aes-256-ctr", key, iv);
  const decipher = createDecipheriv("aes-256-ctr", key, iv);
  const original = openOriginal(originalPath);
  // Decrypted chunks are compared with the original as it is on disk (as the check after sealing does).
  const compare = original && new CompareSink(original, nodeBulk.equal);
  const written = output.open({ read: true, write: false });
  let checked = 0;
  let matches = compare !== undefined;
  try {
    const tag = await onMacThread(macKey, macPrefix, size, (thread) =>
      pump(input, (chunk) => cipher.update(chunk), output, (ciphertext) => {
        for (let done = 0; done < ciphertext.length; ) {
          const room = thread.reserve(ciphertext.length - done);
          const computed = ciphertext.subarray(done, done + room.length);
          if (!(matches && fill(written, room, checked + done) && Buffer.from(room.buffer, room.byteOffset, room.length).equals(computed))) {
            matches = false;
            room.set(computed); // the thread still gets its bytes; the encryption is refused anyway
          }
          thread.commit(room.length);
          done += room.length;
        }
        if (matches && compare !== undefined) {
          const plain = decipher.update(ciphertext);
          compare.write(plain, checked);
          plain.fill(0);
        }
        checked += ciphertext.length;
      }),
    );
    cipher.final();
    return { tag, matches: matches && compare !== undefined && compare.matches(size) };
  } finally {
    written.close();
    original?.close();
  }
}

/** The original, opened again for the check (a file that cannot be opened fails the check). */
function openOriginal(p: string): NodeFileStorage | undefined {
  try {
    return new NodeFileStorage(fs.openSync(p, "r"));
  } catch {
    return undefined;
  }
}

/** Fills `into` from `from` at `position`; false if it ends first or cannot be read. */
function fill(from: Pick<FileStorage, "read">, into: Uint8Array, position: number): boolean {
  try {
    for (let done = 0; done < into.length; ) {
      const n = from.read(into.subarray(done), position + done);
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
  encrypt: encryptWithMac,
  async decrypt(input, output, key, iv) {
    const decipher = createDecipheriv("aes-256-ctr", key, iv);
    pump(input, (chunk) => decipher.update(chunk), output);
    decipher.final();
  },
  macAlongside,
  encryptCheckedAlongside,
  // One read of each chunk feeds the MAC thread and the decryption at once.
  decryptAlongside,
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
