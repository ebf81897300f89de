import * as fs from "node:fs";
import type { ReadBackJob } from "./mac-thread.js";

/**
 * The MAC thread's half of the read-back check done alongside the encryption (see `ReadBackJob`):
 * each chunk of ciphertext that reaches the thread was already written to the bundle file, and
 * is compared with the bytes re-read from there. (The other half, on the encrypting thread: the
 * ciphertext decrypts to the original re-read from its file.) Both together prove what the check
 * after the encryption proves: the file holds a payload that decrypts to the original.
 */
export class DiskCopyCheck {
  private readonly fd: number | undefined;
  private readonly disk: Uint8Array;
  /** Prefix bytes (header, wrapped keys) still to come through the ring before the ciphertext. */
  private prefixLeft: number;
  private checked = 0;
  private failed = false;

  constructor(
    private readonly job: ReadBackJob,
    chunk: number,
  ) {
    this.prefixLeft = job.prefixLength;
    this.disk = new Uint8Array(chunk);
    // A bundle that cannot be opened fails the check (not the MAC: the thread goes on draining the ring).
    try {
      this.fd = fs.openSync(job.bundle, "r");
    } catch {
      this.failed = true;
    }
  }

  /** The next bytes of the MACed data, as they came through the ring. */
  feed(bytes: Uint8Array): void {
    const prefix = Math.min(this.prefixLeft, bytes.length);
    this.prefixLeft -= prefix;
    const ciphertext = bytes.subarray(prefix);
    if (this.failed || this.fd === undefined || ciphertext.length === 0) return;
    const disk = this.disk.subarray(0, ciphertext.length);
    try {
      for (let done = 0; done < disk.length; ) {
        const n = fs.readSync(this.fd, disk, done, disk.length - done, this.job.payloadAt + this.checked + done);
        if (n === 0) throw new Error("short read");
        done += n;
      }
      if (!Buffer.from(disk.buffer, disk.byteOffset, disk.length).equals(ciphertext)) this.failed = true;
    } catch {
      // A read that fails or comes up short: the check fails (the encryption is then refused).
      this.failed = true;
    }
    this.checked += ciphertext.length;
  }

  /** Whether all `size` payload bytes were checked and matched. */
  matches(size: number): boolean {
    return !this.failed && this.checked === size;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
  }
}
