import { ByteRing, ringWriter } from "../../bundle/bulk/byte-ring.js";
import type { MacThread } from "../../bundle/bulk/engine.js";

/**
 * MAC threads for browsers: one Web Worker (mac-worker.ts), started with the context and kept,
 * given one job at a time through a SharedArrayBuffer ring, so that the HMAC runs on a second core
 * while the engine's worker runs the cipher and the file I/O. Shared memory exists only on pages
 * that are cross-origin isolated (COOP and COEP headers, README "In a browser"); elsewhere there is
 * no MAC worker and the engines compute the tag on their own thread.
 */

/** What the MAC worker is asked: the Web Crypto engine's HMAC ("js") or the wasm engine's `dgst -hmac`. */
export type MacSpec = { engine: "js" } | { engine: "wasm"; module: WebAssembly.Module };
export type MacJob = MacSpec & { id: number; key: Uint8Array; ring: SharedArrayBuffer; length: number };
export type MacReply = { id: number; tag: Uint8Array } | { id: number; error: string } | { id: 0; ready: true };

/** 4 MiB: room for a few of the Web Crypto engine's 1 MiB chunks, so neither side waits on every one. */
const RING_BYTES = 4 << 20;

/**
 * Whether this is a worker that can share memory with another worker: a cross-origin isolated
 * page's (a page's own thread may not block on `Atomics.wait`, which the ring's writer does).
 */
export function canShareMemory(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean; document?: unknown };
  return g.crossOriginIsolated === true && g.document === undefined && typeof SharedArrayBuffer === "function" && typeof Worker === "function";
}

export class MacWorker {
  private busy = false;
  private next = 1;
  private readonly replies = new Map<number, (reply: MacReply) => void>();
  /** Resolves true once the worker runs, false if it cannot start. */
  readonly ready: Promise<boolean>;

  private constructor(private readonly worker: Worker) {
    this.ready = new Promise((resolve) => {
      worker.onmessage = (event: MessageEvent<MacReply>) => {
        const reply = event.data;
        if ("ready" in reply) return resolve(true);
        this.replies.get(reply.id)?.(reply);
        this.replies.delete(reply.id);
      };
      worker.onerror = (event) => {
        event.preventDefault();
        resolve(false);
        for (const answer of this.replies.values()) answer({ id: -1, error: `the MAC worker failed${event.message ? `: ${event.message}` : ""}` });
        this.replies.clear();
      };
    });
  }

  /** The MAC worker at `url`, or undefined where memory cannot be shared. */
  static start(url: URL): MacWorker | undefined {
    if (!canShareMemory()) return undefined;
    try {
      return new MacWorker(new Worker(url, { type: "module", name: "opensslwrap-mac" }));
    } catch {
      return undefined;
    }
  }

  /** A MAC thread for `length` bytes to come, or undefined while the worker has another job. */
  thread(spec: MacSpec, key: Uint8Array, length: number): MacThread | undefined {
    if (this.busy) return undefined;
    this.busy = true;
    const id = this.next++;
    const ring = new ByteRing(RING_BYTES);
    const result = new Promise<Uint8Array>((resolve, reject) => {
      this.replies.set(id, (reply) => {
        this.busy = false;
        if ("tag" in reply) resolve(reply.tag);
        else {
          ring.abort();
          reject(new Error(`the MAC worker failed: ${"error" in reply ? reply.error : "no answer"}`));
        }
      });
    });
    // Unobserved until finish(): an early failure must not become an unhandled rejection.
    result.catch(() => undefined);
    // A copy of the key moves to the worker (transferred: none stays here); the caller zeroes its own.
    const moved = key.slice();
    try {
      this.worker.postMessage({ ...spec, id, key: moved, ring: ring.buffer, length } satisfies MacJob, [moved.buffer]);
    } catch {
      // Not sent (the worker is gone): no reply will come, so the job ends here, and no thread is given.
      moved.fill(0);
      this.replies.delete(id);
      this.busy = false;
      return undefined;
    }
    return {
      ...ringWriter(ring, "MAC worker"),
      finish() {
        ring.close();
        return result;
      },
      abort() {
        ring.abort();
      },
    };
  }
}
