import { parentPort, workerData } from "node:worker_threads";
import { Encrypter } from "../api/encrypter.js";
import { nodeContext } from "../runtime/node/context.js";
import { encryptOne, WRAPS_PER_RUN, type FromWorker, type ToWorker, type WorkerData } from "./batch.js";

/** A worker thread of `encryptAll`: encrypts the files it is handed (a few small ones at a time, see SMALL_FILES_PER_WORKER). */
const { options, progress } = workerData as WorkerData;

/**
 * Progress is posted at the first read (a bar's rate counts from there), at the last, and between
 * them at most this often: enough for a bar, and one or two messages for a small file.
 */
const PROGRESS_MS = 100;

const post = (m: FromWorker) => parentPort?.postMessage(m);
/** This thread's recipients, and its one-time secrets wrapped many per engine run (made on the first message). */
let encrypter: Promise<Encrypter> | undefined;

function encrypt(e: Promise<Encrypter>, i: number, file: string, upcoming: number): void {
  let last = -Infinity;
  const onProgress = progress
    ? (done: number, total: number) => {
        const now = performance.now();
        if (now - last < PROGRESS_MS && done < total) return;
        last = now;
        post({ type: "progress", i, done, total });
      }
    : undefined;
  const told = e.then((x) => {
    x.expect(upcoming);
    return x;
  });
  void encryptOne(file, told, { ...options, onProgress }).then((result) => post({ type: "result", i, result }));
}

parentPort?.on("message", (m: ToWorker) => {
  switch (m.type) {
    case "start":
      // The main thread checked the wasm against the manifest and compiled it once, and read the keys.
      encrypter = Encrypter.create(nodeContext({ module: m.module, version: m.version }), { ...options, publicKeys: m.recipients, batch: WRAPS_PER_RUN });
      encrypter.catch(() => undefined); // a failure is reported with each file that needed it
      break;
    case "file":
      if (encrypter === undefined) throw new Error("a file before the start");
      encrypt(encrypter, m.i, m.file, m.upcoming);
      break;
    case "end":
      void encrypter?.then((x) => x.wipe(), () => undefined);
      parentPort?.close();
  }
});
