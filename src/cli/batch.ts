import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { engineModule } from "../openssl/engine.js";
import { checkAhead, resolveRecipients, type Checked } from "../api.js";
import { readPrivateKey } from "../bundle/keys.js";
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

/**
 * One-time secrets for the files of a batch, wrapped up to this many per engine run (each run
 * costs about 13 ms besides its wraps; 256 wraps about 115 ms for RSA-3072). The pool is told how
 * many files are still to come, so a run does not wrap secrets no file will use.
 */
const WRAPS_PER_RUN = 256;

/** A pool for a batch's files (each thread has its own), expecting about `files` of them. */
export async function batchPool(o: BatchOptions, files: number): Promise<WrapPool> {
  const pool = new WrapPool(await resolveRecipients(o.publicKeys), WRAPS_PER_RUN);
  pool.expect(files);
  return pool;
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

/** What a worker thread is created with: the options, and whether to post progress. */
export interface WorkerData {
  options: BatchOptions;
  progress: boolean;
}

/** A worker's first message, once the keys are checked: the compiled engine and what the check learnt. */
export interface WorkerStart {
  module: WebAssembly.Module;
  checked: Checked;
}

/**
 * Each later message: a file to encrypt, with about how many secrets the worker is still to take
 * (the files it has in hand, this one included, and its share of those not handed out yet); or
 * null when there are no more.
 */
export type WorkerJob = { i: number; file: string; upcoming: number } | null;

/** What a worker thread posts: progress on a file, or its result. */
export type WorkerMessage = { i: number; done: number; total: number } | { i: number; result: FileResult };

/** Below this many files, workers cost more (start-up) than they save. */
const MIN_FILES_FOR_WORKERS = 16;

/**
 * Small files are handed to a worker up to this many at a time (and this many bytes in all): the
 * thread encrypts one while the others wait for the disk (creating the temp file, the fsyncs).
 * One file at a time left each thread idle for about a third of a batch of small files. A big
 * file goes alone, so memory and the disk's work stay those of one file per thread. With
 * `engine: "wasm"` a file is mostly engine runs, not waits: one at a time (same speed, measured,
 * and 90 MiB less memory than three files' engine instances).
 */
const SMALL_FILES_PER_WORKER = 3;
const SMALL_BYTES_PER_WORKER = 4 << 20;

/** Encrypts one file of a batch; a failure (of the file, or of getting its options) is its result's one line. */
export async function encryptOne(file: string, o: EncryptFileOptions | Promise<EncryptFileOptions>): Promise<FileResult> {
  try {
    const r = await encryptFile(file, await o);
    return { file, bundle: r.bundle, warnings: r.warnings };
  } catch (e) {
    return { file, warnings: [], error: e instanceof Error ? e.message.split("\n")[0] : String(e) };
  }
}

/** A worker thread, booting; `exited` settles when it ends (rejects if it failed). */
function spawn(o: BatchOptions, progress: boolean): { w: Worker; exited: Promise<void> } {
  const w = new Worker(new URL("./batch-worker.js", import.meta.url), { workerData: { options: o, progress } satisfies WorkerData });
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
export async function encryptAll(files: readonly string[], sizes: readonly number[], o: BatchOptions, on: BatchEvents): Promise<void> {
  const count = Math.min(availableParallelism(), Math.floor(files.length / (MIN_FILES_FOR_WORKERS / 2)));
  const threads = files.length >= MIN_FILES_FOR_WORKERS && count >= 2 ? Array.from({ length: count }, () => spawn(o, on.onProgress !== undefined)) : [];
  let checked: Checked;
  try {
    checked = await checkAhead(o.publicKeys);
    if (o.signWith !== undefined) await readPrivateKey(o.signWith);
  } catch (e) {
    await Promise.all(threads.map(({ w }) => w.terminate()));
    throw e;
  }
  if (threads.length === 0) {
    // One file draws and wraps its own secret; several share the engine runs that wrap theirs.
    const wrapPool = files.length > 1 ? await batchPool(o, files.length) : undefined;
    try {
      for (const [i, file] of files.entries()) {
        const r = await encryptOne(file, { ...o, wrapPool, onProgress: on.onProgress && ((done, total) => on.onProgress?.(i, done, total)) });
        on.onFinished?.(i);
        on.onResult(r);
      }
    } finally {
      wrapPool?.wipe();
    }
    return;
  }
  const start: WorkerStart = { module: await engineModule(), checked };
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
    threads.map(({ w, exited }) => {
      /** The files this worker has in hand. */
      const handed = new Set<number>();
      const room = (size: number) => {
        if (handed.size === 0) return true;
        let bytes = size;
        for (const j of handed) bytes += sizes[j] ?? 0;
        return handed.size < (o.engine === "wasm" ? 1 : SMALL_FILES_PER_WORKER) && bytes <= SMALL_BYTES_PER_WORKER;
      };
      const post = (job: WorkerJob) => w.postMessage(job);
      // The next files while they fit, or once none is left and the worker has finished its own, the end.
      const feed = () => {
        for (;;) {
          if (next >= files.length) {
            if (handed.size === 0) post(null);
            return;
          }
          if (!room(sizes[next] ?? 0)) return;
          const i = next++;
          handed.add(i);
          post({ i, file: files[i] ?? "", upcoming: handed.size + Math.ceil((files.length - next) / threads.length) });
        }
      };
      w.on("message", (m: WorkerMessage) => {
        if (!("result" in m)) {
          on.onProgress?.(m.i, m.done, m.total);
          return;
        }
        on.onFinished?.(m.i);
        handed.delete(m.i);
        settle(m.i, m.result);
        feed();
      });
      w.postMessage(start);
      feed();
      return exited;
    }),
  );
}
