import type { FileNode, FileStorage } from "../../wasi/index.js";
import { isStreamable } from "../views.js";
import { counterAt } from "./ctr-view.js";
import { MAC_THREAD_MIN_BYTES, type BulkEngine, type MacThread, type OpenJob, type PayloadProgress } from "./engine.js";
import type { AesKey, CtrIv, MacKey } from "./keys.js";
import { HmacSha256 } from "./sha256.js";
import { decryptsTo, macAlong, requireTag, requireTagAfter } from "./steps.js";

/**
 * Bytes per Web Crypto call. A multiple of the AES block: every call but the last starts on a
 * block boundary, so its counter block is `counterAt(iv, offset)`.
 */
const CHUNK = 1 << 20;
/** Calls in flight: this thread reads (and MACs) the next chunk while Web Crypto's own thread transforms one. */
const DEPTH = 2;

/**
 * Lets the thread's other tasks run (e.g. a message that cancels the run). Web Crypto's answers
 * can keep a worker's task queue busy enough that a message waits until the pass ends; a message
 * on a channel of our own queues behind any message that arrived before it.
 */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** A MAC thread for `length` bytes to come, or undefined when none is free (the MAC then runs on this thread). */
export type WebMacThreads = (key: MacKey, length: number) => MacThread | undefined;

/** HMAC-SHA256 on this thread, behind the same interface as a MAC thread. */
function macHere(key: MacKey): MacThread {
  const mac = new HmacSha256(key);
  return {
    write: (bytes) => void mac.update(bytes),
    finish: async () => mac.digest(),
    abort: () => mac.wipe(),
  };
}

/** Bytes Web Crypto accepts (not a view of shared memory). */
function owned(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/** Fills `buf` from `src` at `at` (short only at the end); the count. */
function readFull(src: Pick<FileStorage, "read">, buf: Uint8Array, at: number): number {
  let done = 0;
  for (let n = -1; done < buf.length && n !== 0; done += n) n = src.read(buf.subarray(done), at + done);
  return done;
}

/**
 * `input` in pieces of CHUNK bytes (the last one shorter), each a view of one buffer, valid until
 * the next is asked for (and zeroed at the end): streamed when the input streams (a browser
 * `File`), else read synchronously.
 */
async function* pieces(input: FileNode): AsyncGenerator<Uint8Array<ArrayBuffer>> {
  const size = input.stat().size;
  let buf = new Uint8Array(Math.max(16, Math.min(CHUNK, size)));
  try {
    if (!isStreamable(input)) {
      const src = input.open({ read: true, write: false });
      try {
        for (let at = 0, n = readFull(src, buf, 0); n > 0; at += n, n = readFull(src, buf, at)) yield buf.subarray(0, n);
      } finally {
        src.close();
      }
      return;
    }
    const reader = input.streamFrom(0, size);
    const capacity = buf.length;
    try {
      for (let filled = capacity; filled === capacity; ) {
        filled = 0;
        while (filled < capacity) {
          const got = await reader.read(buf.subarray(filled));
          // A BYOB read moves the memory to a new ArrayBuffer (the old one is left empty): go on in that one.
          buf = new Uint8Array(got.buffer, 0, capacity);
          if (got.length === 0) break;
          filled += got.length;
        }
        if (filled > 0) yield buf.subarray(0, filled);
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  } finally {
    buf.fill(0);
  }
}

/**
 * AES-256-CTR over `input` by Web Crypto, in chunks: each chunk's counter block is the IV plus its
 * block index, as one 128-bit big-endian number (`length: 128`: the whole block counts and wraps
 * at 2^128, as OpenSSL's does). `read` sees each input chunk as read, `each` each output chunk in
 * order with its offset.
 */
async function ctrPass(key: CryptoKey, iv: CtrIv, input: FileNode, each: (out: Uint8Array, at: number) => void, read?: (chunk: Uint8Array) => void): Promise<void> {
  const inflight: { at: number; out: Promise<ArrayBuffer> }[] = [];
  const drain = async (depth: number) => {
    for (let next = inflight.length > depth ? inflight.shift() : undefined; next !== undefined; next = inflight.length > depth ? inflight.shift() : undefined) {
      each(new Uint8Array(await next.out), next.at);
      await yieldToMessages();
    }
  };
  try {
    let at = 0;
    for await (const piece of pieces(input)) {
      read?.(piece);
      // Web Crypto copies its input when called: the piece's memory is free for the next at once.
      inflight.push({ at, out: crypto.subtle.encrypt({ name: "AES-CTR", counter: owned(counterAt(iv, at)), length: 128 }, key, piece) });
      at += piece.length;
      await drain(DEPTH - 1);
    }
    await drain(0);
  } finally {
    // After a failure: let the calls still running end unobserved, not as unhandled rejections.
    for (const i of inflight) i.out.catch(() => undefined);
  }
}

/** AES-256-CTR over `input` into `output` (decrypting is the same transform); each plaintext chunk is zeroed once written. */
async function ctrInto(key: CryptoKey, iv: CtrIv, input: FileNode, output: FileNode, progress?: (at: number) => void, read?: (chunk: Uint8Array) => void): Promise<void> {
  const dst = output.open({ read: false, write: true });
  try {
    dst.truncate(0);
    await ctrPass(
      key,
      iv,
      input,
      (out, at) => {
        dst.write(out, at);
        out.fill(0);
        progress?.(at + out.length);
      },
      read,
    );
  } finally {
    dst.close();
  }
}

/**
 * The bulk engine on Web Crypto: AES-256-CTR by `crypto.subtle` (native AES, on the browser's own
 * crypto thread), HMAC-SHA256 by `sha256.ts` (Web Crypto signs only whole buffers), on a second
 * thread when `macThreads` gives one, else on this one between the cipher's calls. Rotation's
 * synchronous random access (`view`, `ctr`) is the wasm engine's. The same bytes as the wasm engine
 * (test/webcrypto-bulk.test.ts, test/browser/webcrypto.test.ts).
 */
export function webCryptoBulk(wasm: BulkEngine, macThreads?: WebMacThreads): BulkEngine {
  const aesKey = async (key: AesKey) => {
    const bytes = owned(key);
    try {
      return await crypto.subtle.importKey("raw", bytes, "AES-CTR", false, ["encrypt"]);
    } finally {
      if (bytes !== key) bytes.fill(0); // the copy made off shared memory
    }
  };
  const macFor = (key: MacKey, length: number): MacThread => (length >= MAC_THREAD_MIN_BYTES ? macThreads?.(key, length) : undefined) ?? macHere(key);
  /** The tag of a payload, on this thread. */
  const tagOf = (job: Pick<OpenJob, "keys" | "authenticated">, payload: FileNode, progress?: PayloadProgress): Uint8Array => {
    const mac = new HmacSha256(job.keys.mac).update(job.authenticated);
    const src = payload.open({ read: true, write: false });
    const buf = new Uint8Array(Math.max(1, Math.min(CHUNK, src.size())));
    try {
      for (let at = 0, n = readFull(src, buf, 0); n > 0; at += n, n = readFull(src, buf, at)) {
        mac.update(buf.subarray(0, n));
        progress?.(at + n);
      }
      return mac.digest();
    } finally {
      src.close();
    }
  };

  return {
    name: "webcrypto",
    async seal(job) {
      const size = job.plaintext.stat().size;
      const key = await aesKey(job.keys.cipher);
      const mac = macFor(job.keys.mac, job.authenticated.length + size);
      const tag = await macAlong(mac, job.authenticated, async () => {
        const dst = job.ciphertext.open({ read: false, write: true });
        try {
          dst.truncate(0);
          await ctrPass(key, job.keys.iv, job.plaintext, (out, at) => {
            dst.write(out, at);
            mac.write(out);
            job.progress?.(at + out.length);
          });
        } finally {
          dst.close();
        }
      });
      return { tag, check: (stored, original) => decryptsTo(original, size, (into) => ctrInto(key, job.keys.iv, stored, into)) };
    },
    async open(job, output) {
      const size = job.ciphertext.stat().size;
      const key = await aesKey(job.keys.cipher);
      const progress = job.progress;
      if (size < MAC_THREAD_MIN_BYTES || job.tagFirst === true) {
        // Small, or an output that cannot be taken back: the tag first, so that an altered bundle never gets an output file.
        requireTag(tagOf(job, job.ciphertext, progress && ((at) => progress(at / 2))), job.tag);
        await ctrInto(key, job.keys.iv, job.ciphertext, await output(), progress && ((at) => progress(size / 2 + at / 2)));
        return;
      }
      // One pass: each chunk is MACed as read, then decrypted; the tag is judged once all is written.
      // The output first: an output that cannot be made must not leave a MAC thread waiting.
      const out = await output();
      const mac = macFor(job.keys.mac, job.authenticated.length + size);
      const tag = await macAlong(mac, job.authenticated, () => ctrInto(key, job.keys.iv, job.ciphertext, out, progress, (chunk) => mac.write(chunk)));
      requireTagAfter(tag, job.tag, out);
    },
    view: (job) => wasm.view(job),
    ctr: (key) => wasm.ctr(key),
  };
}
