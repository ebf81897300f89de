import { createCipheriv, createDecipheriv, type Decipher } from "node:crypto";
import type { SealJob, SealResult } from "../../bundle/bulk/engine.js";
import { macAlong } from "../../bundle/bulk/steps.js";
import { CompareSink } from "../../bundle/views.js";
import type { FileStorage } from "../../wasi/index.js";
import { startMacThread, type RingMacThread } from "./mac-thread.js";
import { nativeEqual, pump, readFully } from "./pump.js";

/**
 * The read-back check of a sealed payload, chunk by chunk as it is written, instead of a pass
 * after the encryption. For each chunk of ciphertext just written:
 * 1. it is read back from the file straight into the MAC thread's ring (a copy into shared memory
 *    is V8's slow relaxed one) and compared with what was computed: the tag then covers the
 *    file's own bytes, and the file holds what was computed;
 * 2. it is decrypted and compared with the original, re-read from its own storage.
 * Together: the payload as stored decrypts to the original, which is what the pass after the
 * encryption proves. One wrong byte anywhere, or a read that fails, and `matches` is false for good.
 */
class WrittenChunks {
  private position = 0;
  private ok = true;
  private readonly compare: CompareSink;
  private readonly decipher: Decipher;

  constructor(
    private readonly written: FileStorage,
    original: Pick<FileStorage, "read">,
    job: SealJob,
  ) {
    this.compare = new CompareSink(original, nativeEqual);
    this.decipher = createDecipheriv("aes-256-ctr", job.keys.cipher, job.keys.iv);
  }

  /** `ciphertext` was just written at the next position: feed the thread what the file holds there, and check it. */
  chunk(ciphertext: Uint8Array, thread: RingMacThread): void {
    for (let done = 0; done < ciphertext.length; ) {
      const room = thread.reserve(ciphertext.length - done);
      const computed = ciphertext.subarray(done, done + room.length);
      if (this.ok) this.ok = readFully(this.written, room, this.position + done) && nativeEqual(room, computed);
      // After a failure the thread still gets its bytes (it must finish); the bundle is refused anyway.
      if (!this.ok) room.set(computed);
      thread.commit(room.length);
      done += room.length;
    }
    if (this.ok) this.compareWithOriginal(ciphertext);
    this.position += ciphertext.length;
  }

  private compareWithOriginal(ciphertext: Uint8Array): void {
    const plain = this.decipher.update(ciphertext);
    try {
      this.compare.write(plain, this.position);
    } catch {
      this.ok = false; // the original cannot be read: the check fails, the encryption finishes
    } finally {
      plain.fill(0);
    }
  }

  matches(size: number): boolean {
    return this.ok && this.compare.matches(size);
  }
}

/** `seal` of a big payload with the read-back check as it is written (see WrittenChunks). */
export async function sealCheckedAlongside(job: SealJob, original: Pick<FileStorage, "read">, size: number): Promise<SealResult> {
  const cipher = createCipheriv("aes-256-ctr", job.keys.cipher, job.keys.iv);
  const written = job.ciphertext.open({ read: true, write: false });
  try {
    const check = new WrittenChunks(written, original, job);
    const thread = startMacThread(job.keys.mac, job.authenticated.length + size);
    const tag = await macAlong(thread, job.authenticated, () => pump(job.plaintext, (chunk) => cipher.update(chunk), job.ciphertext, (chunk) => check.chunk(chunk, thread)));
    cipher.final();
    const matches = check.matches(size);
    // Checked as written: the payload re-read later is the same file's, already compared.
    return { tag, check: async (stored) => matches && stored.stat().size === size };
  } finally {
    written.close();
  }
}
