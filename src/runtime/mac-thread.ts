import * as fs from "node:fs";
import { Worker } from "node:worker_threads";
import type { MacThread } from "../bundle/bulk.js";
import { ByteRing, RingAborted } from "./byte-ring.js";

/**
 * HMAC-SHA256 on a second thread, fed through a ByteRing, so that the MAC and the cipher run on
 * two cores at once (docs/DESIGN.md, "Passes over the data"). The key goes to the worker as a
 * message in memory; the ring carries only ciphertext.
 */

/**
 * The MAC thread's half of the read-back check done alongside the encryption: the MACed data is
 * `prefixLength` bytes, then the ciphertext, each chunk of which is in the bundle file (at
 * `payloadAt`) before it reaches the ring; the thread compares it with the bytes re-read there.
 */
export interface ReadBackJob {
  bundle: string;
  payloadAt: number;
  prefixLength: number;
}

/** What the worker is given. `engine: "wasm"` runs `dgst -hmac` in the engine, "node" node:crypto. */
export type MacSpec = { key: Uint8Array } & ({ engine: "node"; readBack?: ReadBackJob } | { engine: "wasm"; module: WebAssembly.Module });
export type MacJob = MacSpec & { ring: SharedArrayBuffer; length: number };

/** What the worker posts: the tag (and, with a read-back job, whether every byte matched), or why it failed. */
export type MacResult = { tag: Uint8Array; matches?: boolean } | { error: string };

const RING_BYTES = 1 << 20;

/**
 * The worker's script. Run from the TypeScript sources (vitest), there is no .js beside this
 * module: use the build's (`npm test` builds first).
 */
function workerUrl(): URL {
  const here = new URL("./mac-worker.js", import.meta.url);
  return import.meta.url.endsWith(".ts") && !fs.existsSync(here) ? new URL("../../dist/runtime/mac-worker.js", import.meta.url) : here;
}

/** A MAC thread whose `finish` also says whether its read-back job found every byte as expected. */
export type CheckingMacThread = Omit<MacThread, "finish"> & { finish(): Promise<{ tag: Uint8Array; matches: boolean }> };

export function startMacThread(spec: MacSpec, length: number): MacThread {
  const thread = start(spec, length);
  return { ...thread, finish: async () => (await thread.finish()).tag };
}

/** The MAC and the read-back check's payload part on one second thread (`ReadBackJob`). */
export function startCheckingMacThread(key: Uint8Array, readBack: ReadBackJob, length: number): CheckingMacThread {
  const thread = start({ engine: "node", key, readBack }, length);
  return {
    ...thread,
    async finish() {
      const r = await thread.finish();
      return { tag: r.tag, matches: r.matches === true };
    },
  };
}

function start(spec: MacSpec, length: number): Omit<MacThread, "finish"> & { finish(): Promise<{ tag: Uint8Array; matches?: boolean }> } {
  const ring = new ByteRing(RING_BYTES);
  const worker = new Worker(workerUrl(), { workerData: { ...spec, ring: ring.buffer, length } satisfies MacJob });
  const result = new Promise<{ tag: Uint8Array; matches?: boolean }>((resolve, reject) => {
    worker.once("message", (m: MacResult) => ("tag" in m ? resolve(m) : reject(new Error(`mac thread: ${m.error}`))));
    worker.once("error", (e) => {
      ring.abort();
      reject(e);
    });
    worker.once("exit", () => reject(new Error("mac thread exited early")));
  });
  // Unobserved until finish(): an early failure must not become an unhandled rejection.
  result.catch(() => undefined);
  return {
    write(bytes) {
      try {
        ring.write(bytes);
      } catch (e) {
        if (e instanceof RingAborted) throw new Error(`the MAC thread failed: ${e.message}`, { cause: e });
        throw e;
      }
    },
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

/** For the wasm engine's bulk path (`setWasmMacThreads`). */
export const wasmMacThread = (key: Uint8Array, module: WebAssembly.Module, length: number): MacThread => startMacThread({ engine: "wasm", key, module }, length);
