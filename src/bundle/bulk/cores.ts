import type { OpenSSL } from "../../openssl/index.js";
import type { FileNode } from "../../wasi/index.js";
import type { BulkEngine } from "./engine.js";
import type { PayloadKeys } from "./keys.js";
import { planSegments, SEGMENT_BYTES, type Segment } from "./segments.js";
import { decryptsTo, requireTagAfter } from "./steps.js";

/**
 * The wasm engine on every core: AES-256-CTR over a payload's segments (segments.ts) by engine
 * runs on several threads at once, the HMAC on one more, reading the ciphertext in payload order.
 * The bytes are the single-thread engine's (`wasm.ts`), which still does small payloads, rotation's
 * reads, and everything where a runtime has no threads.
 */

/** One pass over a payload on a runtime's threads. */
export interface CtrPass {
  /** The AES key and IV; the MAC key when there is a `mac`. */
  readonly keys: PayloadKeys;
  readonly input: FileNode;
  /** Receives each segment's output at its place (segments finish out of order). */
  readonly output: FileNode;
  readonly segments: readonly Segment[];
  /**
   * HMAC-SHA256 over `authenticated`, then the ciphertext: the pass's `output` read back in
   * order as it is complete (sealing), or its `input` (opening).
   */
  readonly mac?: { readonly authenticated: Uint8Array; readonly over: "input" | "output" };
}

/** A runtime's threads for the wasm engine (Node's: src/runtime/node/ctr-threads.ts). */
export interface CtrThreads {
  /** How many engine runs go at once (the cores). */
  readonly count: number;
  /** Runs `pass` with the engine `module` (compiled once, handed to each thread); the tag, if it has a `mac`. */
  run(module: WebAssembly.Module, pass: CtrPass): Promise<Uint8Array | undefined>;
}

export interface CoresOptions {
  /** Payloads below this stay on one thread (starting the threads costs tens of ms). */
  minBytes?: number;
  segmentBytes?: number;
  /** The runtime's fastest byte comparison, for the read-back check. */
  equal?: (a: Uint8Array, b: Uint8Array) => boolean;
}

/** Below this, the threads' start-up costs more than the second core saves. */
export const CORES_MIN_BYTES = 16 << 20;

export function coresBulk(openssl: OpenSSL, single: BulkEngine, threads: CtrThreads, o: CoresOptions = {}): BulkEngine {
  const minBytes = o.minBytes ?? CORES_MIN_BYTES;
  const onThreads = (size: number) => threads.count >= 2 && size >= minBytes;
  const run = async (pass: Omit<CtrPass, "segments">, size: number) => threads.run(await openssl.module(), { ...pass, segments: planSegments(size, o.segmentBytes ?? SEGMENT_BYTES) });
  const tagOf = (tag: Uint8Array | undefined) => {
    if (tag === undefined) throw new Error("the MAC thread gave no tag");
    return tag;
  };

  return {
    name: single.name,
    async seal(job) {
      const size = job.plaintext.stat().size;
      if (!onThreads(size)) return single.seal(job);
      const { keys } = job;
      const tag = tagOf(await run({ keys, input: job.plaintext, output: job.ciphertext, mac: { authenticated: job.authenticated, over: "output" } }, size));
      return {
        tag,
        // The read-back check: the stored payload decrypted on every core, compared with the original.
        check: (stored, original) => decryptsTo(original, size, async (into: FileNode) => void (await run({ keys, input: stored, output: into }, size)), o.equal),
      };
    },
    async open(job, output) {
      const size = job.ciphertext.stat().size;
      if (!onThreads(size)) return single.open(job, output);
      // Segments are written as they finish; the tag is judged once all are (the output is emptied if it is wrong).
      const out = await output();
      const tag = tagOf(await run({ keys: job.keys, input: job.ciphertext, output: out, mac: { authenticated: job.authenticated, over: "input" } }, size));
      requireTagAfter(tag, job.tag, out);
    },
    view: (job) => single.view(job),
  };
}
