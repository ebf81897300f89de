import { createHmac } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { ByteRing } from "./byte-ring.js";
import type { MacJob, MacResult } from "./mac-thread.js";
import { DiskCopyCheck } from "./read-back-check.js";

/**
 * A mac thread (see mac-thread.ts): HMAC-SHA256 over the bytes that arrive through the ring.
 * The engine's modules are loaded only for a wasm job: a node job's thread stays small (memory).
 */

async function run(job: MacJob, ring: ByteRing): Promise<Exclude<MacResult, { error: string }>> {
  if (job.engine === "wasm") {
    const { ringFile } = await import("./mac-ring-file.js");
    const { setEngineLoader } = await import("../openssl/engine.js");
    const { hmac } = await import("../openssl/index.js");
    const module = job.module;
    setEngineLoader(async () => module);
    return { tag: await hmac(job.key, ringFile(ring, job.length)) };
  }
  const mac = createHmac("sha256", job.key);
  const buf = new Uint8Array(1 << 18);
  const check = job.readBack === undefined ? undefined : new DiskCopyCheck(job.readBack, buf.length);
  try {
    for (let n = ring.read(buf); n > 0; n = ring.read(buf)) {
      mac.update(buf.subarray(0, n));
      check?.feed(buf.subarray(0, n));
    }
    const tag = new Uint8Array(mac.digest());
    return check === undefined ? { tag } : { tag, matches: check.matches(job.length - (job.readBack?.prefixLength ?? 0)) };
  } finally {
    check?.close();
  }
}

const job = workerData as MacJob;
const ring = new ByteRing(job.ring);
ring.markAlive();
run(job, ring).then(
  (r) => parentPort?.postMessage(r satisfies MacResult),
  (e: unknown) => {
    ring.abort();
    parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) } satisfies MacResult);
  },
).finally(() => job.key.fill(0));
