import * as fs from "node:fs";
import { Worker } from "node:worker_threads";
import type { MacThread } from "../../bundle/bulk/engine.js";
import type { WasmMacThreads } from "../../bundle/bulk/wasm.js";
import { ByteRing, ringWriter } from "../../bundle/bulk/byte-ring.js";

/**
 * HMAC-SHA256 on a second thread, fed through a ByteRing, so that the MAC and the cipher run on
 * two cores at once (docs/DESIGN.md, "Passes over the data"). The key goes to the worker as a
 * message in memory; the ring carries only ciphertext.
 */

/** What the worker is given. `engine: "wasm"` runs `dgst -hmac` in the engine, "node" node:crypto. */
export type MacSpec = { key: Uint8Array } & ({ engine: "node" } | { engine: "wasm"; module: WebAssembly.Module });
export type MacJob = MacSpec & { ring: SharedArrayBuffer; length: number };

/** What the worker posts once: the tag, or why it failed. */
export type MacResult = { type: "tag"; tag: Uint8Array } | { type: "error"; message: string };

const RING_BYTES = 1 << 20;

/**
 * The worker's script, beside this module in the build. Run from the TypeScript sources (vitest),
 * there is no .js here: the build's is used, which the test set-up makes from the same sources
 * before any test runs (vitest.setup.ts).
 */
function workerUrl(): URL {
  const here = new URL("./mac-worker.js", import.meta.url);
  return import.meta.url.endsWith(".ts") && !fs.existsSync(here) ? new URL("../../../dist/runtime/node/mac-worker.js", import.meta.url) : here;
}

/**
 * A MAC thread that can also be fed without a copy: `reserve` gives room in the ring itself, to
 * fill (a file read into it) and then `commit`.
 */
export type RingMacThread = MacThread & { reserve(max: number): Uint8Array; commit(n: number): void };

export function startMacThread(spec: MacSpec, length: number): RingMacThread {
  const ring = new ByteRing(RING_BYTES);
  const worker = new Worker(workerUrl(), { workerData: { ...spec, ring: ring.buffer, length } satisfies MacJob });
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

/** MAC threads for the wasm bulk engine: the engine's `dgst -hmac` on a worker. */
export const wasmMacThreads: WasmMacThreads = (key, module, length) => startMacThread({ engine: "wasm", key, module }, length);
