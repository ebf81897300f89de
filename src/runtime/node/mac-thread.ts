import { Worker } from "node:worker_threads";
import type { MacThread } from "../../bundle/bulk/engine.js";
import { ByteRing, ringWriter } from "../../bundle/bulk/byte-ring.js";
import { workerScript } from "./worker-url.js";

/**
 * HMAC-SHA256 by node:crypto on a second thread, fed through a ByteRing, so that the MAC and the
 * cipher run on two cores at once (docs/DESIGN.md, "Passes over the data"). The key goes to the
 * worker as a message in memory; the ring carries only ciphertext. (The wasm engine runs its MAC
 * on its own threads: core-threads.ts.)
 */

/** What the worker is given. */
export type MacJob = { key: Uint8Array; ring: SharedArrayBuffer; length: number };

/** What the worker posts once: the tag, or why it failed. */
export type MacResult = { type: "tag"; tag: Uint8Array } | { type: "error"; message: string };

const RING_BYTES = 1 << 20;

/**
 * A MAC thread that can also be fed without a copy: `reserve` gives room in the ring itself, to
 * fill (a file read into it) and then `commit`.
 */
export type RingMacThread = MacThread & { reserve(max: number): Uint8Array; commit(n: number): void };

export function startMacThread(key: Uint8Array, length: number): RingMacThread {
  const ring = new ByteRing(RING_BYTES);
  const worker = new Worker(workerScript("mac-worker.js"), { workerData: { key, ring: ring.buffer, length } satisfies MacJob });
  const result = new Promise<Uint8Array>((resolve, reject) => {
    worker.once("message", (m: MacResult) => (m.type === "tag" ? resolve(m.tag) : reject(new Error(`mac thread: ${m.message}`))));
    worker.once("error", (e) => {
      ring.abort();
      reject(e);
    });
    worker.once("exit", () => reject(new Error("mac thread exited early")));
  });
  // Unobserved until finish(): an early failure must not become an unhandled rejection.
  result.catch(() => undefined);
  return {
    ...ringWriter(ring, "MAC thread"),
    async finish() {
      ring.close();
      try {
        return await result;
      } finally {
        await worker.terminate();
      }
    },
    abort() {
      ring.abort();
      void worker.terminate();
    },
  };
}
