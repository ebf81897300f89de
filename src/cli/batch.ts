import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { engineModule } from "../openssl/engine.js";
import { resolveRecipients } from "../api.js";
import { WrapPool } from "../bundle/wrap-pool.js";
import { encryptFile, type EncryptFileOptions } from "../runtime/node-api.js";

/** What encrypting one file gave: its bundle, or the one-line reason it failed. */
export interface FileResult {
  file: string;
  bundle?: string;
  warnings: string[];
  error?: string;
}

/** Options that cross to worker threads (structured-cloneable: no callbacks). */
export type BatchOptions = Omit<EncryptFileOptions, "onWarning" | "onProgress" | "wrapPool">;

/** One-time secrets for the files of a batch, wrapped up to this many per engine run. */
export const WRAP_BATCH = 32;

/** A pool for a batch's files (each thread has its own). */
export async function batchPool(o: BatchOptions, files: number): Promise<WrapPool> {
  return new WrapPool(await resolveRecipients(o.publicKeys), Math.min(WRAP_BATCH, files));
}

/** What `encryptAll` tells as it goes. */
export interface BatchEvents {
  /** Each file's result, in input order. */
  onResult(r: FileResult): void;
  /** Bytes of `files[i]` read so far, and its size (from worker threads, a few times a second). */
  onProgress?(i: number, done: number, total: number): void;
  /** `files[i]` is finished; unlike `onResult`, without waiting for the files before it. */
  onFinished?(i: number): void;
}

/** What a worker thread starts with: the compiled engine and the options. */
export interface WorkerData {
  module: WebAssembly.Module;
  options: BatchOptions;
}

/** What a worker thread posts: progress on a file, or its result. */
export type WorkerMessage = { i: number; done: number; total: number } | { i: number; result: FileResult };

/** Below this many files, workers cost more (start-up) than they save. */
const MIN_FILES_FOR_WORKERS = 16;

async function one(file: string, o: EncryptFileOptions): Promise<FileResult> {
  try {
    const r = await encryptFile(file, o);
    return { file, bundle: r.bundle, warnings: r.warnings };
  } catch (e) {
    return { file, warnings: [], error: e instanceof Error ? e.message.split("\n")[0] : String(e) };
  }
}

/**
 * Encrypts many files, on worker threads across the cores when there are enough of them. Each
 * worker gets the compiled engine (no second compile) and takes the next file when it is done;
 * `on.onResult` sees results in input order.
 */
export async function encryptAll(files: readonly string[], o: BatchOptions, on: BatchEvents): Promise<void> {
  const workers = Math.min(availableParallelism(), Math.floor(files.length / (MIN_FILES_FOR_WORKERS / 2)));
  if (files.length < MIN_FILES_FOR_WORKERS || workers < 2) {
    // One file draws and wraps its own secret; several share the engine runs that wrap theirs.
    const wrapPool = files.length > 1 ? await batchPool(o, files.length) : undefined;
    try {
      for (const [i, file] of files.entries()) {
        const r = await one(file, { ...o, wrapPool, onProgress: (done, total) => on.onProgress?.(i, done, total) });
        on.onFinished?.(i);
        on.onResult(r);
      }
    } finally {
      wrapPool?.wipe();
    }
    return;
  }
  const module = await engineModule();
  const done = new Map<number, FileResult>();
  let next = 0;
  let printed = 0;
  const settle = (i: number, r: FileResult) => {
    done.set(i, r);
    for (let r2 = done.get(printed); r2 !== undefined; r2 = done.get(printed)) {
      done.delete(printed++);
      on.onResult(r2);
    }
  };
  await Promise.all(
    Array.from({ length: workers }, () => {
      const w = new Worker(new URL("./batch-worker.js", import.meta.url), { workerData: { module, options: o } satisfies WorkerData });
      const feed = () => {
        if (next < files.length) {
          const i = next++;
          w.postMessage({ i, file: files[i] });
        } else {
          w.postMessage(null);
        }
      };
      return new Promise<void>((resolve, reject) => {
        w.on("message", (m: WorkerMessage) => {
          if (!("result" in m)) {
            on.onProgress?.(m.i, m.done, m.total);
            return;
          }
          on.onFinished?.(m.i);
          settle(m.i, m.result);
          feed();
        });
        w.on("error", reject);
        w.on("exit", () => resolve());
        feed();
      });
    }),
  );
}
