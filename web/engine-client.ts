/** The page's side of the engine worker (web/worker.ts): requests, their progress, and cancelling them. */
import type { Op, ProgressMessage, Ready, Request, Response, Result } from "./protocol.js";

/** A failure reported by the worker, with the typed error's name (e.g. "PassphraseError", "AbortError"). */
export class EngineError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface Pending {
  resolve(result: Result): void;
  reject(error: Error): void;
  onProgress?: (p: ProgressMessage) => void;
}

/** A request on its way: its answer, and how to stop it. */
export interface Running {
  readonly result: Promise<Result>;
  cancel(): void;
}

/** The engine worker, one request at a time (the worker queues them). */
export class Engine {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  private cancelCell: Int32Array | undefined;
  readonly ready: Promise<Ready>;

  constructor() {
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module", name: "opensslwrap-engine" });
    let started: (v: Ready) => void = () => undefined;
    let failed: (e: Error) => void = () => undefined;
    this.ready = new Promise((resolve, reject) => {
      started = resolve;
      failed = reject;
    });
    this.worker.onmessage = (event: MessageEvent<Response>) => {
      const m = event.data;
      if ("ready" in m) {
        if (m.ready.cancelCell !== undefined) this.cancelCell = new Int32Array(m.ready.cancelCell);
        return started(m.ready);
      }
      const p = this.pending.get(m.id);
      if ("error" in m) {
        const e = new EngineError(m.error.name, m.error.message);
        if (m.id === 0) return failed(e);
        this.pending.delete(m.id);
        return p?.reject(e);
      }
      if ("progress" in m) return p?.onProgress?.(m.progress);
      this.pending.delete(m.id);
      p?.resolve(m.result);
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      const e = new Error(`the encryption engine could not start${event.message ? `: ${event.message}` : ""}`);
      failed(e);
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
  }

  start(op: Op, fields: Omit<Request, "id" | "op">, onProgress?: (p: ProgressMessage) => void): Running {
    const id = this.next++;
    const result = new Promise<Result>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, op, ...fields } satisfies Request);
    });
    return {
      result,
      cancel: () => {
        // The shared cell stops even a long engine command at its next read of the file.
        if (this.cancelCell !== undefined) Atomics.store(this.cancelCell, 0, id);
        this.worker.postMessage({ id: this.next++, op: "cancel", target: id } satisfies Request);
      },
    };
  }

  request(op: Op, fields: Omit<Request, "id" | "op">, onProgress?: (p: ProgressMessage) => void): Promise<Result> {
    return this.start(op, fields, onProgress).result;
  }
}
