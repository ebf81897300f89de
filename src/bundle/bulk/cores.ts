import type { OpenSSL } from "../../openssl/index.js";
import type { FileNode } from "../../wasi/index.js";
import type { BulkEngine } from "./engine.js";
import type { PayloadKeys } from "./keys.js";
import { planSegments, SEGMENT_BYTES, type Segment } from "./segments.js";
import { decryptsTo, requireTag, requireTagAfter } from "./steps.js";

/**
 * The wasm engine on every core: AES-256-CTR over a payload's segments (segments.ts) by engine
 * threads at once, the HMAC on one more, reading the ciphertext in payload order. The bytes are
 * the single-thread engine's (`wasm.ts`), which still serves rotation's reads.
 */

/** One pass over a payload on a runtime's engine threads: the cipher over `segments`, and/or the MAC. */
export interface CorePass {
  /** The AES key and IV; the MAC key when there is a `mac`. */
  readonly keys: PayloadKeys;
  readonly input: FileNode;
  /** Receives each segment's output at its place (segments finish out of order); needed with segments. */
  readonly output?: FileNode;
  /** Empty for a pass that only computes the tag. */
  readonly segments: readonly Segment[];
  /**
   * HMAC-SHA256 over `authenticated`, then the ciphertext: the pass's `output` read back in
   * order as it is complete (sealing), or its `input` (opening). With segments it runs on a
   * thread of its own, alongside them.
   */
  readonly mac?: { readonly authenticated: Uint8Array; readonly over: "input" | "output" };
  /** The payload's size (the segments' total, or the input's for a pass without segments). */
  readonly size: number;
}

/** A runtime's engine threads (Node's: src/runtime/node/core-threads.ts), which stay up between passes. */
export interface CoreThreads {
  /** How many engine threads run segments at once (the cores). */
  readonly count: number;
  /** Runs `pass` with the engine `module` (compiled once, handed to each thread); the tag, if it has a `mac`. */
  run(module: WebAssembly.Module, pass: CorePass): Promise<Uint8Array | undefined>;
}

export interface CoresOptions {
  /** From this size on, the MAC runs alongside the cipher on a thread of its own (below: one thread, one step after the other). */
  alongsideBytes?: number;
  segmentBytes?: number;
  /** The runtime's fastest byte comparison, for the read-back check. */
  equal?: (a: Uint8Array, b: Uint8Array) => boolean;
}

/**
 * Below this, a payload's steps run one after the other on one engine thread: a second thread
 * would save less than it costs (another thread's memory in each batch worker, its hand-offs).
 */
export const ALONGSIDE_MIN_BYTES = 16 << 20;

export function coresBulk(openssl: OpenSSL, single: BulkEngine, threads: CoreThreads, o: CoresOptions = {}): BulkEngine {
  const alongside = (size: number) => size >= (o.alongsideBytes ?? ALONGSIDE_MIN_BYTES);
  const segments = (size: number) => planSegments(size, o.segmentBytes ?? SEGMENT_BYTES);
  const run = async (pass: CorePass) => threads.run(await openssl.module(), pass);
  const tagOf = async (pass: CorePass) => {
    const tag = await run(pass);
    if (tag === undefined) throw new Error("the MAC thread gave no tag");
    return tag;
  };

  return {
    name: single.name,
    async seal(job) {
      const size = job.plaintext.stat().size;
      const { keys } = job;
      const mac = { authenticated: job.authenticated, over: "output" } as const;
      const cipher = { keys, input: job.plaintext, output: job.ciphertext, segments: segments(size), size };
      let tag: Uint8Array;
      if (alongside(size)) {
        tag = await tagOf({ ...cipher, mac });
      } else {
        await run(cipher);
        tag = await tagOf({ keys, input: job.ciphertext, segments: [], mac: { ...mac, over: "input" }, size });
      }
      return {
        tag,
        // The read-back check: the stored payload decrypted on the engine threads, compared with the original.
        check: (stored, original) => decryptsTo(original, size, async (into: FileNode) => void (await run({ keys, input: stored, output: into, segments: segments(size), size })), o.equal),
      };
    },
    async open(job, output) {
      const size = job.ciphertext.stat().size;
      const { keys } = job;
      const mac = { authenticated: job.authenticated, over: "input" } as const;
      if (job.tagFirst === true || !alongside(size)) {
        // The tag first: no plaintext is written unless it is right (an irrevocable output, or a small payload).
        requireTag(await tagOf({ keys, input: job.ciphertext, segments: [], mac, size }), job.tag);
        // A stream takes its bytes in order only: one segment, on one thread.
        const plan = job.tagFirst === true ? planSegments(size, Math.max(size, 1)) : segments(size);
        await run({ keys, input: job.ciphertext, output: await output(), segments: plan, size });
        return;
      }
      // Segments are written as they finish; the tag is judged once all are (the output is emptied if it is wrong).
      const out = await output();
      requireTagAfter(await tagOf({ keys, input: job.ciphertext, output: out, segments: segments(size), mac, size }), job.tag, out);
    },
    view: (job) => single.view(job),
    ctr: (key) => single.ctr(key),
  };
}
