import { Errno, FsError, type FileStorage } from "../../wasi/index.js";
import { VirtualFile } from "../views.js";
import type { CtrIv } from "./keys.js";

const BLOCK = 16;
const WINDOW = 1 << 20;

/** The CTR counter block for byte `offset`: the IV as a 128-bit big-endian number, plus offset/16 (mod 2^128). */
export function counterAt(iv: CtrIv | Uint8Array, offset: number): Uint8Array {
  let carry = BigInt(Math.floor(offset / BLOCK));
  const out = Uint8Array.from(iv);
  for (let i = BLOCK - 1; i >= 0 && carry > 0n; i--) {
    const sum = BigInt(out[i] ?? 0) + (carry & 0xffn);
    out[i] = Number(sum & 0xffn);
    carry = (carry >> 8n) + (sum >> 8n);
  }
  return out;
}

/** AES-256-CTR of `data` from counter block `counter`, synchronously (the key is the engine's to hold). */
export type CtrAt = (counter: Uint8Array, data: Uint8Array) => Uint8Array;

/**
 * The plaintext of a CTR payload, read on demand: each read decrypts just the blocks asked for,
 * one window at a time, so rotation never writes plaintext anywhere (CTR blocks decrypt
 * independently). Reads are synchronous: the engine reading this file runs synchronously.
 */
export class CtrPlaintextView extends VirtualFile {
  /** The last window decrypted: readers ask in small pieces, an engine run costs milliseconds. */
  private window: { start: number; plain: Uint8Array } | undefined;

  constructor(
    private readonly ciphertext: Pick<FileStorage, "read" | "size">,
    private readonly iv: CtrIv,
    private readonly ctr: CtrAt,
  ) {
    super();
  }

  size(): number {
    return this.ciphertext.size();
  }

  override read(dst: Uint8Array, position: number): number {
    const end = Math.min(position + dst.length, this.size());
    if (end <= position) return 0;
    let w = this.window;
    if (w === undefined || position < w.start || end > w.start + w.plain.length) w = this.decrypt(position, end);
    const n = end - position;
    dst.set(w.plain.subarray(position - w.start, position - w.start + n));
    return n;
  }

  override close(): void {
    this.window?.plain.fill(0);
    this.window = undefined;
  }

  private decrypt(position: number, end: number): { start: number; plain: Uint8Array } {
    const start = position - (position % BLOCK);
    const stop = Math.min(Math.max(end, start + WINDOW), this.size());
    const cipher = new Uint8Array(stop - start);
    let done = 0;
    while (done < cipher.length) {
      const n = this.ciphertext.read(cipher.subarray(done), start + done);
      if (n === 0) throw new FsError(Errno.IO, "payload shorter than declared");
      done += n;
    }
    this.close();
    this.window = { start, plain: this.ctr(counterAt(this.iv, start), cipher) };
    return this.window;
  }
}
