import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { Encrypter, type EncrypterOptions } from "../api/encrypter.js";
import type { Context } from "../bundle/context.js";
import type { RsaPublicKey } from "../bundle/keys.js";
import { encryptFile, type EncryptPathOptions } from "../verbs/node.js";
import { inputError } from "./report.js";

/** What encrypting one file gave: its bundle, or the one-line reason it failed (and the error's class). */
export interface FileResult {
  file: string;
  bundle?: string;
  warnings: string[];
  error?: string;
  errorClass?: string;
}

/** Options that cross to worker threads (structured-cloneable: no callbacks). */
export type BatchOptions = Omit<EncrypterOptions, "onWarning" | "batch"> & Omit<EncryptPathOptions, "onProgress">;

/**
 * One-time secrets for the files of a batch, wrapped up to this many per engine run (each run
 * costs about 13 ms besides its wraps; 256 wraps about 115 ms for RSA-3072). The encrypter is told
 * how many files are still to come, so a run does not wrap secrets no file will use.
 */
export const WRAPS_PER_RUN = 256;

/** What `encryptAll` tells as it goes. */
export interface BatchEvents {
  /** Each file's result, in input order. */
  onResult(r: FileResult): void;
  /** Bytes of `files[i]` read so far, and its size (from worker threads, a few times a second). */
  onProgress?(i: number, done: number, total: number): void;
  /** `files[i]` is finished; unlike `onResult`, without waiting for the files before it. */
  onFinished?(i: number): void;
}

/** What a worker thread is created with: the options, and whether to post progress. */
export interface WorkerData {
  options: BatchOptions;
  progress: boolean;
}

/**
 * Messages to a worker: first the compiled engine and the recipients this thread checked, then
 * the files one at a time (with about how many secrets the worker is still to take: the files it
 * has in hand, this one included, and its share of those not handed out yet), then the end.
 */
export type ToWorker =
  | { type: "start"; module: WebAssembly.Module; version: string; recipients: readonly RsaPublicKey[] }
  | { type: "file"; i: number; file: string; upcoming: number }
  | { type: "end" };

/** Messages from a worker: progress on a file, or its result. */
export type FromWorker = { type: "progress"; i: number; done: number; total: number } | { type: "result"; i: number; result: FileResult };

/** Below this many files, workers cost more (start-up) than they save. */
const MIN_FILES_FOR_WORKERS = 16;

/**
 * Small files are handed to a worker up to this many at a time (and this many bytes in all): the
 * thread encrypts one while the others wait for the disk (creating the temp file, the fsyncs).
 * One file at a time left each thread idle for about a third of a batch of small files. A big
 * file goes alone, so memory and the disk's work stay those of one file per thread.
 */
const SMALL_FILES_PER_WORKER = 3;
const SMALL_BYTES_PER_WORKER = 4 << 20;

/**
 * With `engine: "wasm"` the cryptography runs on the engine's own threads, one per core
 * (src/runtime/node/core-threads.ts), so no worker is started: the files go through this thread,
 * this many at a time (one is encrypted while the others wait for the disk). Workers would each
 * add a V8 heap and engine threads of their own, 10-15 MiB a thread.
 */
const WASM_FILES_IN_FLIGHT = 4;

/** Encrypts one file of a batch; a failure (of the file, or of getting its encrypter) is its result's one line. */
export async function encryptOne(file: string, encrypter: Encrypter | Promise<Encrypter>, o: EncryptPathOptions): Promise<FileResult> {
  // Warnings told before a failure (e.g. leftovers of a killed run removed) are reported with it.
  const told: string[] = [];
  try {
    const r = await encryptFile(await encrypter, file, { ...o, onWarning: (m) => told.push(m) });
    return { file, bundle: r.bundle, warnings: r.warnings };
  } catch (e) {
    const { class: errorClass, message } = inputError(e);
    return { file, warnings: told, error: message, errorClass };
  }
}

/**
 * A worker's young generation, in MiB. V8's default let each worker's grow to 8 MiB of a
 * batch's 130 MiB peak for small, short-lived objects; 4 keeps it near 3 at the same speed.
 */
const YOUNG_GENERATION_MB = 4;

/** `on.onResult` for each file's result in input order, whatever order they finish in. */
function inOrder(on: BatchEvents): (i: number, r: FileResult) => void {
  const done = new Map<number, FileResult>();
  let printed = 0;
  return (i, r) => {
    done.set(i, r);
    for (let r2 = done.get(printed); r2 !== undefined; r2 = done.get(printed)) {
      done.delete(printed++);
      on.onResult(r2);
    }
  };
}

/** A worker thread, booting; `exited` settles when it ends (rejects if it failed). */
function spawn(o: BatchOptions, progress: boolean): { w: Worker; exited: Promise<void> } {
  const w = new Worker(new URL("./batch-worker.js", import.meta.url), {
    workerData: { options: o, progress } satisfies WorkerData,
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
  const exited = new Promise<void>((resolve, reject) => {
    w.on("error", reject);
    w.on("exit", () => resolve());
  });
  exited.catch(() => undefined); // awaited below; a failure while the keys are checked is not unhandled
  return { w, exited };
}

/**
 * Encrypts many files, on worker threads across the cores when there are enough of them. The
 * keys are checked first, once (a bad key is one error, not one per file), while the workers
 * boot. Each worker gets the compiled engine (no second compile) and the checked keys, and takes
 * the next files as it finishes its own; `on.onResult` sees results in input order. `sizes`:
 * the files' sizes as the caller found them (0 for one it could not read; its worker says why).
 */
export async function encryptAll(ctx: Context, files: readonly string[], sizes: readonly number[], o: BatchOptions, on: BatchEvents): Promise<void> {
  const count = Math.min(availableParallelism(), Math.floor(files.length / (MIN_FILES_FOR_WORKERS / 2)));
  const workers = o.engine !== "wasm" && files.length >= MIN_FILES_FOR_WORKERS && count >= 2;
  const threads = workers ? Array.from({ length: count }, () => spawn(o, on.onProgress !== undefined)) : [];
  let encrypter: Encrypter;
  try {
    // One file draws and wraps its own secret; several share the engine runs that wrap theirs.
    encrypter = await Encrypter.create(ctx, { ...o, batch: files.length > 1 && threads.length === 0 ? WRAPS_PER_RUN : 1 });
  } catch (e) {
    await Promise.all(threads.map(({ w }) => w.terminate()));
    throw e;
  }
  const settle = inOrder(on);
  let next = 0;
  if (threads.length === 0) {
    encrypter.expect(files.length);
    try {
      const one = async () => {
        for (let i = next++; i < files.length; i = next++) {
          const r = await encryptOne(files[i] ?? "", encrypter, { ...o, onProgress: on.onProgress && ((done, total) => on.onProgress?.(i, done, total)) });
          on.onFinished?.(i);
          settle(i, r);
        }
      };
      await Promise.all(Array.from({ length: o.engine === "wasm" ? WASM_FILES_IN_FLIGHT : 1 }, one));
    } finally {
      encrypter.wipe();
    }
    return;
  }
  const start: ToWorker = { type: "start", module: await ctx.openssl.module(), version: await ctx.openssl.version(), recipients: encrypter.recipients };
  await Promise.all(
    threads.map(({ w, exited }) => {
      /** The files this worker has in hand. */
      const handed = new Set<number>();
      const room = (size: number) => {
        if (handed.size === 0) return true;
        let bytes = size;
        for (const j of handed) bytes += sizes[j] ?? 0;
        return handed.size < SMALL_FILES_PER_WORKER && bytes <= SMALL_BYTES_PER_WORKER;
      };
      const post = (m: ToWorker) => w.postMessage(m);
      // The next files while they fit, or once none is left and the worker has finished its own, the end.
      const feed = () => {
        for (;;) {
          if (next >= files.length) {
            if (handed.size === 0) post({ type: "end" });
            return;
          }
          if (!room(sizes[next] ?? 0)) return;
          const i = next++;
          handed.add(i);
          post({ type: "file", i, file: files[i] ?? "", upcoming: handed.size + Math.ceil((files.length - next) / threads.length) });
        }
      };
      w.on("message", (m: FromWorker) => {
        if (m.type === "progress") {
          on.onProgress?.(m.i, m.done, m.total);
          return;
        }
        on.onFinished?.(m.i);
        handed.delete(m.i);
        settle(m.i, m.result);
        feed();
      });
      post(start);
      feed();
      return exited;
    }),
  );
}
