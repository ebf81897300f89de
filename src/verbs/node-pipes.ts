import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { decryptFrom, type BundleSource, type DecryptOptions, type OutputPlace } from "../api/decrypt.js";
import type { Encrypter } from "../api/encrypter.js";
import { counterAt, CtrPlaintextView, type CtrAt } from "../bundle/bulk/ctr-view.js";
import type { AesKey, CtrIv } from "../bundle/bulk/keys.js";
import type { Context } from "../bundle/context.js";
import { FormatError } from "../bundle/errors.js";
import type { LegacyInfo } from "../bundle/legacy.js";
import type { Meta } from "../bundle/meta.js";
import { concatBytes, ConcatFile, equalBytes, StreamSink } from "../bundle/views.js";
import { MemoryFile, type FileStorage } from "../wasi/index.js";
import { createTemp, refuseExisting, removeQuietly, type TempFile } from "../runtime/node/files.js";
import { NodeFileStorage } from "../runtime/node/fs.js";
import { sweepOnce } from "../runtime/node/leftovers.js";
import { viaTemp } from "../runtime/node/temp-output.js";
import type { EncryptFileResult, EncryptPathOptions } from "./node.js";

/**
 * The verbs on streams of unknown length (standard input and output, pipes). docs/DESIGN.md,
 * "Streams", says why they work as they do.
 */

/** A stream up to this size is held in memory; a longer one is spooled to the disk, encrypted. */
export const STREAM_MEMORY_BYTES = 64 << 20;
/** The spool is encrypted in pieces of this size (each piece is one engine run with `--engine wasm`). */
const SPOOL_PIECE = 1 << 20;
const BLOCK = 16;

export interface StreamOptions {
  /** Hold up to this many bytes in memory before spooling (default 64 MiB). */
  memoryLimit?: number;
  /** Told, one line each, of what was done differently (e.g. leftovers of a killed run removed). */
  onWarning?: (message: string) => void;
}

/** The first bytes of a stream, until it ends or more than `limit` bytes are held. */
async function readHead(it: AsyncIterator<Uint8Array>, limit: number): Promise<{ chunks: Uint8Array[]; bytes: number; ended: boolean }> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  while (bytes <= limit) {
    const r = await it.next();
    if (r.done === true) return { chunks, bytes, ended: true };
    chunks.push(r.value);
    bytes += r.value.length;
  }
  return { chunks, bytes, ended: false };
}

/** SHA-256 of a file read from start to end in pieces. */
function sha256Of(file: Pick<FileStorage, "read">): Uint8Array {
  const hash = createHash("sha256");
  const piece = new Uint8Array(SPOOL_PIECE);
  for (let at = 0, n = file.read(piece, 0); n > 0; at += n, n = file.read(piece, at)) hash.update(piece.subarray(0, n));
  piece.fill(0);
  return new Uint8Array(hash.digest());
}

/**
 * A stream's plaintext written to a temp file (`.OUT.tmp-*`, 0600) under a one-time key held only
 * in memory (AES-256-CTR, by the bulk engine), with a SHA-256 of the plaintext as it went by.
 */
class Spool {
  private readonly hash = createHash("sha256");
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private at = 0;

  private constructor(
    readonly file: TempFile,
    /** The AES key (32 bytes), then the IV (16). */
    private readonly secret: Uint8Array,
    private readonly ctr: CtrAt,
  ) {}

  static async create(encrypter: Encrypter, nextTo: string): Promise<Spool> {
    const secret = new Uint8Array(randomBytes(48));
    try {
      const ctr = await encrypter.ctx.bulk(encrypter.engine).ctr(secret.subarray(0, 32) as AesKey);
      return new Spool(createTemp(nextTo), secret, ctr);
    } catch (e) {
      secret.fill(0);
      throw e;
    }
  }

  private get iv(): CtrIv {
    return this.secret.subarray(32) as CtrIv;
  }

  /** Takes `chunk` (zeroed once written). */
  put(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= SPOOL_PIECE) this.flush();
  }

  /** Encrypts and writes what is pending: CTR from the block of `at`, the bytes before `at` in that block skipped. */
  private flush(): void {
    if (this.pendingBytes === 0) return;
    const skip = this.at % BLOCK;
    const plain = concatBytes([new Uint8Array(skip), ...this.pending]);
    for (const p of this.pending) p.fill(0);
    const cipher = this.ctr(counterAt(this.iv, this.at - skip), plain);
    plain.fill(0);
    this.file.storage.write(cipher.subarray(skip), this.at);
    this.at += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Everything put is written: the SHA-256 of the plaintext as it streamed. */
  end(): Uint8Array {
    this.flush();
    return new Uint8Array(this.hash.digest());
  }

  /** The plaintext, decrypted from the spool on demand (close it after use). */
  plaintext(): CtrPlaintextView {
    return new CtrPlaintextView(this.file.storage, this.iv, this.ctr);
  }

  async remove(): Promise<void> {
    this.secret.fill(0);
    for (const p of this.pending) p.fill(0);
    await this.file.storage.settle();
    this.file.storage.close();
    removeQuietly(this.file.path);
  }
}

/**
 * Encrypts a stream of unknown length (standard input) to the bundle `out`, verified by reading it
 * back before success is reported, like a file. Up to `memoryLimit` bytes are held in memory and
 * sealed from there; a longer stream is first spooled next to `out`, encrypted under a one-time
 * key (the plaintext never reaches the disk), then sealed from the spool, and the read-back check
 * is completed by comparing the spool's SHA-256 with the stream's. The bundle records no file name.
 */
export async function encryptStream(encrypter: Encrypter, input: AsyncIterable<Uint8Array>, out: string, o: Omit<EncryptPathOptions, "keep" | "out" | "onProgress"> & StreamOptions): Promise<EncryptFileResult> {
  const warnings = [...encrypter.warnings];
  const onWarning = (m: string) => {
    warnings.push(m);
    o.onWarning?.(m);
  };
  // Before the stream is read: a bundle that exists is refused at once, not after minutes of input.
  refuseExisting(out);
  const file = { ...o, name: undefined };
  const platform = encrypter.ctx.platform;
  const it = input[Symbol.asyncIterator]();
  const head = await readHead(it, o.memoryLimit ?? STREAM_MEMORY_BYTES);
  try {
    if (head.ended) {
      const plain = new ConcatFile(head.chunks);
      const meta = await viaTemp(out, false, async (temp) => (await encrypter.encryptTo(plain, temp.storage, file, { original: plain, platform })).meta, onWarning);
      return { bundle: out, meta, warnings };
    }
    sweepOnce(path.dirname(out), onWarning);
    const spool = await Spool.create(encrypter, out);
    try {
      for (const c of head.chunks) spool.put(c);
      for (let r = await it.next(); r.done !== true; r = await it.next()) spool.put(r.value);
      const streamed = spool.end();
      const meta = await viaTemp(out, false, async (temp) => {
        const input = spool.plaintext();
        const original = spool.plaintext();
        try {
          const r = await encrypter.encryptTo(input, temp.storage, file, { original, platform });
          // The bundle decrypts to the spool's plaintext; that must be what streamed in.
          if (!equalBytes(sha256Of(original), streamed)) throw new FormatError("read-back check failed: the spooled input no longer decrypts to what was read; nothing written");
          return r.meta;
        } finally {
          input.close();
          original.close();
        }
      }, onWarning);
      return { bundle: out, meta, warnings };
    } finally {
      await spool.remove();
    }
  } finally {
    for (const c of head.chunks) c.fill(0);
  }
}

/** The name a bundle read from standard input goes by (its output defaults to `stdin` when it records no name). */
export const STDIN_BUNDLE = "stdin.enc";

/** A bundle received from a stream, held in memory or in a temp file until `dispose()`. */
export type ReceivedBundle = BundleSource & { dispose(): Promise<void> };

/**
 * Receives a bundle from a stream (standard input): the tag must be checked before any plaintext
 * is written, so the whole bundle is needed first. Up to `memoryLimit` bytes it is held in
 * memory, a longer one goes to a temp file (`.stdin.enc.tmp-*`, 0600) in `dir`, removed by `dispose`.
 */
export async function receiveBundle(input: AsyncIterable<Uint8Array>, dir: string, o: StreamOptions = {}): Promise<ReceivedBundle> {
  const it = input[Symbol.asyncIterator]();
  const head = await readHead(it, o.memoryLimit ?? STREAM_MEMORY_BYTES);
  if (head.ended) {
    const bytes = concatBytes(head.chunks);
    return { source: new MemoryFile(bytes), name: STDIN_BUNDLE, whole: async () => bytes, dispose: async () => undefined };
  }
  sweepOnce(dir, o.onWarning);
  const temp = createTemp(path.join(dir, STDIN_BUNDLE));
  const dispose = async () => {
    await temp.storage.settle();
    temp.storage.close();
    removeQuietly(temp.path);
  };
  try {
    let at = 0;
    const put = (chunk: Uint8Array) => {
      temp.storage.write(chunk, at);
      at += chunk.length;
    };
    head.chunks.forEach(put);
    for (let r = await it.next(); r.done !== true; r = await it.next()) put(r.value);
    await temp.storage.settle();
  } catch (e) {
    await dispose();
    throw e;
  }
  return { source: temp.storage, name: STDIN_BUNDLE, whole: async () => fs.readFileSync(temp.path), dispose };
}

/**
 * Decrypts a bundle into `write` (standard output, a pipe), which gets the plaintext in order.
 * Nothing written to a stream can be taken back: the tag is checked in a pass of its own before
 * the first byte, whatever the size (`OutputPlace.irrevocable`). A failure of `write` itself
 * (a closed pipe) ends the run with that error, after some good plaintext may have gone out.
 */
export async function decryptTo(ctx: Context, bundle: BundleSource | string, write: (bytes: Uint8Array) => void, o: DecryptOptions): Promise<{ meta: Meta | LegacyInfo }> {
  if (typeof bundle === "string") {
    const source = new NodeFileStorage(fs.openSync(bundle, "r"));
    try {
      return await decryptTo(ctx, { source, name: path.basename(bundle), whole: async () => fs.readFileSync(bundle) }, write, o);
    } finally {
      source.close();
    }
  }
  const place: OutputPlace<undefined> = Object.assign(async () => ({ node: new StreamSink(write), commit: async () => undefined, discard: async (cause: unknown) => cause }), { irrevocable: true });
  return { meta: (await decryptFrom(ctx, bundle, o, place)).meta };
}
