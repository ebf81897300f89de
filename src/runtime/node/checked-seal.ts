import { createCipheriv, createDecipheriv, type Decipher } from "node:crypto";
import type { SealJob, SealResult } from "../../bundle/bulk/engine.js";
import { macAlong } from "../../bundle/bulk/steps.js";
import { CompareSink } from "../../bundle/views.js";
import type { FileStorage } from "../../wasi/index.js";
import { startMacThread, type RingMacThread } from "./mac-thread.js";
import { nativeEqual, pumpBehind, readFully } from "./pump.js";

/**
 * The read-back check of a sealed payload, chunk by chunk as it is written, instead of a pass
 * after the encryption (the writes go on the thread pool: pumpBehind). Each chunk of ciphertext,
 * once written, is read back from the file straight into the MAC thread's ring (a copy into
 * shared memory is V8's slow relaxed one), decrypted from there and compared with the original,
 * re-read from its own storage; then handed to the thread. So the tag covers the file's own bytes,
 * and those bytes decrypt to the original, which is what the pass after the encryption proves
 * (that they are also what was computed follows: CTR decryption is one-to-one). One wrong byte
 * anywhere, or a read that fails, and `matches` is false for good.
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
      if (this.ok) this.ok = readFully(this.written, room, this.position + done) && this.decryptsToOriginal(room, this.position + done);
      // After a failure the thread still gets its bytes (it must finish); the bundle is refused anyway.
      if (!this.ok) room.set(ciphertext.subarray(done, done + room.length));
      thread.commit(room.length);
      done += room.length;
    }
    this.position += ciphertext.length;
  }

  /** Whether `stored`, the file's bytes at `position`, decrypt to the original's there. */
  private decryptsToOriginal(stored: Uint8Array, position: number): boolean {
    const plain = this.decipher.update(stored);
    try {
      this.compare.write(plain, position);
      return true;
    } catch {
      return false; // the original cannot be read: the check fails, the encryption finishes
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
    const tag = await macAlong(thread, job.authenticated, () => pumpBehind(job.plaintext, (chunk) => cipher.update(chunk), job.ciphertext, (chunk) => check.chunk(chunk, thread)));
    cipher.final();
    const matches = check.matches(size);
    // Checked as written: the payload re-read later is the same file's, already compared.
    return { tag, check: async (stored) => matches && stored.stat().size === size };
  } finally {
    written.close();
  }
}
