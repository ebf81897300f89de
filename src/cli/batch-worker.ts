import { parentPort, workerData } from "node:worker_threads";
import "../index.js";
import { setEngineLoader } from "../openssl/engine.js";
import { encryptFile } from "../runtime/node-api.js";
import { batchPool, WRAP_BATCH, type WorkerData, type WorkerMessage } from "./batch.js";

/** A worker thread of `encryptAll`: encrypts the files it is handed, one at a time. */
const { module, options } = workerData as WorkerData;
// The main thread checked the wasm against the manifest and compiled it once.
setEngineLoader(async () => module);

/**
 * Progress is posted at the first read (a bar's rate counts from there), at the last, and between
 * them at most this often: enough for a bar, and one or two messages for a small file.
 */
const PROGRESS_MS = 100;

const post = (m: WorkerMessage) => parentPort?.postMessage(m);
/** This thread's one-time secrets, wrapped WRAP_BATCH per engine run. */
const wrapPool = batchPool(options, WRAP_BATCH);
wrapPool.catch(() => undefined); // a failure is reported with each file that needed the pool

parentPort?.on("message", (msg: { i: number; file: string } | null) => {
  if (msg === null) {
    void wrapPool.then((p) => p.wipe(), () => undefined);
    parentPort?.close();
    return;
  }
  const { i, file } = msg;
  let last = -Infinity;
  const onProgress = (done: number, total: number) => {
    const now = performance.now();
    if (now - last < PROGRESS_MS && done < total) return;
    last = now;
    post({ i, done, total });
  };
  wrapPool.then((pool) => encryptFile(file, { ...options, onProgress, wrapPool: pool })).then(
    (r) => post({ i, result: { file, bundle: r.bundle, warnings: r.warnings } }),
    (e: unknown) => post({ i, result: { file, warnings: [], error: e instanceof Error ? e.message.split("\n")[0] : String(e) } }),
  );
});
