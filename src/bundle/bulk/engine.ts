import type { FileNode, FileStorage } from "../../wasi/index.js";
import type { CtrAt, CtrPlaintextView } from "./ctr-view.js";
import type { AesKey, PayloadKeys } from "./keys.js";

/**
 * The bulk work of the v2 format, AES-256-CTR over the payload and HMAC-SHA256 over the header,
 * the wrapped keys and the ciphertext (encrypt-then-MAC), behind one seam. Implementations: the
 * wasm engine (`wasm.ts`, everywhere), Node's native crypto (src/runtime/node/bulk.ts), Web Crypto
 * (`webcrypto.ts`, browsers' fastest). Each picks
 * its own strategy (one thread, the MAC on a second thread, the read-back check as the payload is
 * written) from the job; all give the same bytes. Key handling, parsing and the legacy formats
 * stay in the wasm engine.
 */
export interface BulkEngine {
  readonly name: string;
  /** Encrypts a payload and computes its tag. */
  seal(job: SealJob): Promise<SealResult>;
  /**
   * Checks the tag and decrypts into the file `output()` makes (IntegrityError on a wrong tag).
   * `output` is called only when the engine starts writing: after the tag was checked, or, when
   * the engine checks it while decrypting (never with `job.tagFirst`), at once; then a wrong tag
   * empties the output (a memory file is zeroed) before `open` rejects. The caller still removes what `output` made on failure.
   */
  open(job: OpenJob, output: () => Promise<FileNode>): Promise<void>;
  /** Checks the tag, then gives the plaintext as a file decrypted on demand (rotation writes none). */
  view(job: OpenJob): Promise<CtrPlaintextView>;
  /** AES-256-CTR under `key` from any counter block, synchronously (the views' windows; a stream's spool). */
  ctr(key: AesKey): Promise<CtrAt>;
}

export interface SealJob {
  readonly keys: PayloadKeys;
  readonly plaintext: FileNode;
  /** Receives the ciphertext from position 0, and reads back what was written. */
  readonly ciphertext: FileNode;
  /** What the tag covers ahead of the payload: the header and the wrapped keys. */
  readonly authenticated: Uint8Array;
  /**
   * The original as stored, when it can be re-read while sealing: an engine may then do the
   * payload half of the read-back check as each chunk is written instead of in a pass at `check`.
   */
  readonly original?: Pick<FileStorage, "read">;
  readonly progress?: PayloadProgress;
}

export interface SealResult {
  readonly tag: Uint8Array;
  /**
   * The payload half of the read-back check that precedes removing an original: whether `stored`
   * (the payload re-read from the finished bundle) decrypts to `original`, byte for byte. An engine
   * that checked each chunk as it was written (against `SealJob.original`) answers from that check.
   * Valid until the keys are zeroed.
   */
  check(stored: FileNode, original: Pick<FileStorage, "read">): Promise<boolean>;
}

export interface OpenJob {
  readonly keys: PayloadKeys;
  readonly ciphertext: FileNode;
  /** What the tag covers ahead of the payload. */
  readonly authenticated: Uint8Array;
  /** The tag the bundle carries. */
  readonly tag: Uint8Array;
  readonly progress?: PayloadProgress;
  /**
   * The output cannot be taken back once written (a pipe, a terminal): the tag is then checked in
   * a pass of its own before the first byte is decrypted, whatever the payload's size.
   */
  readonly tagFirst?: boolean;
}

/**
 * Told how far a seal or an open has come, in payload bytes (up to the payload's size): an engine
 * that makes two passes over the payload counts each at half its size. For progress bars; an
 * engine may stay silent (the Node CLI follows its input file instead).
 */
export type PayloadProgress = (done: number) => void;

/** Which bulk engine: "auto" lets the runtime use its fastest; "wasm" keeps everything in the engine. */
export type EngineChoice = "auto" | "wasm";

/** HMAC-SHA256 computed on another thread over the bytes written to it (a runtime's, e.g. Node's worker threads). */
export interface MacThread {
  /** The next bytes of the MACed data (blocks while the thread is behind). */
  write(bytes: Uint8Array): void;
  /** All data given: the tag. */
  finish(): Promise<Uint8Array>;
  abort(): void;
}

/** Below this many payload bytes, a MAC thread's start-up (tens of ms) costs more than the overlap saves. */
export const MAC_THREAD_MIN_BYTES = 32 << 20;
