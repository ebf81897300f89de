import { hex } from "../openssl/secrets.js";
import { runOpenSSLSync } from "../openssl/index.js";
import { Errno, FsError } from "../wasi/index.js";
import { VirtualFile, type WindowFile } from "./views.js";

const BLOCK = 16;

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
 * The plaintext of a CTR payload, read on demand: each read decrypts just the blocks asked for in
 * a fresh engine instance. Plaintext exists only in memory, one read at a time, so rotation
 * never writes it anywhere (CTR blocks decrypt independently).
 */
export class CtrPlaintextView extends VirtualFile {
  constructor(
    private readonly module: WebAssembly.Module,
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
    const start = position - (position % BLOCK);
    const end = Math.min(position + dst.length, this.size());
    if (end <= position) return 0;
    const cipher = new Uint8Array(end - start);
    let done = 0;
    while (done < cipher.length) {
      const n = this.payload.read(cipher.subarray(done), start + done);
      if (n === 0) throw new FsError(Errno.IO, "payload shorter than declared");
      done += n;
    }
    const r = runOpenSSLSync(this.module, ["enc", "-d", "-aes-256-ctr", "-K", hex(this.key), "-iv", hex(counterAt(this.iv, start)), "-in", "/c", "-out", "/p"], { files: { "/c": cipher } });
    const plain = r.files.get("/p") ?? new Uint8Array(0);
    const n = end - position;
    dst.set(plain.subarray(position - start, position - start + n));
    plain.fill(0);
    return n;
  }
}
