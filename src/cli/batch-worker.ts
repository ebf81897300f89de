import { parentPort, workerData } from "node:worker_threads";
import "../index.js";
import { adoptChecked } from "../api.js";
import type { WrapPool } from "../bundle/wrap-pool.js";
import { setEngineLoader } from "../openssl/engine.js";
import { batchPool, encryptOne, type WorkerData, type WorkerJob, type WorkerMessage, type WorkerStart } from "./batch.js";

/** A worker thread of `encryptAll`: encrypts the files it is handed (a few small ones at a time, see SMALL_FILES_PER_WORKER). */
const { options, progress } = workerData as WorkerData;

/**
 * Progress is posted at the first read (a bar's rate counts from there), at the last, and between
 * them at most this often: enough for a bar, and one or two messages for a small file.
 */
const PROGRESS_MS = 100;

const post = (m: WorkerMessage) => parentPort?.postMessage(m);
/** This thread's one-time secrets, wrapped many per engine run (made on the first message). */
let wrapPool: Promise<WrapPool> | undefined;

function encrypt(pool: Promise<WrapPool>, i: number, file: string, upcoming: number): void {
  let last = -Infinity;
  const onProgress = progress
    ? (done: number, total: number) => {
        const now = performance.now();
        if (now - last < PROGRESS_MS && done < total) return;
        last = now;
        post({ i, done, total });
      }
    : undefined;
  const withPool = pool.then((p) => {
    p.expect(upcoming);
    return { ...options, onProgress, wrapPool: p };
  });
  void encryptOne(file, withPool).then((result) => post({ i, result }));
}

parentPort?.on("message", (msg: WorkerStart | WorkerJob) => {
  if (wrapPool === undefined) {
    // The main thread checked the wasm against the manifest and compiled it once, and checked the keys.
    const { module, checked } = msg as WorkerStart;
    setEngineLoader(async () => module);
    adoptChecked(checked);
    wrapPool = batchPool(options, Infinity);
    wrapPool.catch(() => undefined); // a failure is reported with each file that needed the pool
  } else if (msg === null) {
    void wrapPool.then((p) => p.wipe(), () => undefined);
    parentPort?.close();
  } else {
    const { i, file, upcoming } = msg as Exclude<WorkerJob, null>;
    encrypt(wrapPool, i, file, upcoming);
  }
});
