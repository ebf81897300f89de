import { Errno, FsError } from "../wasi/index.js";
import type { Bulk } from "./bulk.js";
import { VirtualFile, type WindowFile } from "./views.js";

const BLOCK = 16;
const WINDOW = 1 << 20;

/** The CTR counter block for byte `offset`: the IV as a 128-bit big-endian number, plus offset/16. */
export function counterAt(iv: Uint8Array, offset: number): Uint8Array {
  let carry = BigInt(Math.floor(offset / BLOCK));
  const out = Uint8Array.from(iv);
  for (let i = BLOCK - 1; i >= 0 && carry > 0n; i--) {
    const sum = BigInt(out[i] ?? 0) + (carry & 0xffn);
    out[i] = Number(sum & 0xffn);
    carry = (carry >> 8n) + (sum >> 8n);
  }
  return out;
}

/**
 * The plaintext of a CTR payload, read on demand: each read decrypts just the blocks asked for
 * (in a fresh engine instance, or natively when accelerated). Plaintext exists only in memory,
 * one read at a time, so rotation never writes it anywhere (CTR blocks decrypt independently).
 */
export class CtrPlaintextView extends VirtualFile {
  /** The last window decrypted: readers ask in small pieces, an engine run costs milliseconds. */
  private window: { start: number; plain: Uint8Array } | undefined;

  constructor(
    private readonly bulk: Bulk,
    private readonly payload: WindowFile,
    private readonly key: Uint8Array,
    private readonly iv: Uint8Array,
  ) {
    super();
  }

  size(): number {
    return this.payload.size();
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
      const n = this.payload.read(cipher.subarray(done), start + done);
      if (n === 0) throw new FsError(Errno.IO, "payload shorter than declared");
      done += n;
    }
    this.close();
    this.window = { start, plain: this.bulk.ctr(this.key, counterAt(this.iv, start), cipher) };
    return this.window;
  }
}
