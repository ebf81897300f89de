import { parentPort, workerData } from "node:worker_threads";
import "../index.js";
import { setEngineLoader } from "../openssl/engine.js";
import { encryptFile } from "../runtime/node-api.js";
import type { BatchOptions, FileResult } from "./batch.js";

/** A worker thread of `encryptAll`: encrypts the files it is handed, one at a time. */
const { module, options } = workerData as { module: WebAssembly.Module; options: BatchOptions };
// The main thread checked the wasm against the manifest and compiled it once.
setEngineLoader(async () => module);

parentPort?.on("message", (msg: { i: number; file: string } | null) => {
  if (msg === null) {
    parentPort?.close();
    return;
  }
  encryptFile(msg.file, options).then(
    (r) => parentPort?.postMessage({ i: msg.i, result: { file: msg.file, bundle: r.bundle, warnings: r.warnings } satisfies FileResult }),
    (e: unknown) => parentPort?.postMessage({ i: msg.i, result: { file: msg.file, warnings: [], error: e instanceof Error ? e.message.split("\n")[0] : String(e) } satisfies FileResult }),
  );
});
