import { createHmac } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { ByteRing } from "../../bundle/bulk/byte-ring.js";
import type { MacJob, MacResult } from "./mac-thread.js";

/** A mac thread (see mac-thread.ts): HMAC-SHA256 by node:crypto over the bytes that arrive through the ring. */

async function run(job: MacJob, ring: ByteRing): Promise<Uint8Array> {
  const mac = createHmac("sha256", job.key);
  // Straight from the ring's memory: a copy out of shared memory is V8's slow relaxed one.
  for (let bytes = ring.peek(1 << 18); bytes.length > 0; bytes = ring.peek(1 << 18)) {
    mac.update(bytes);
    ring.consume(bytes.length);
  }
  return new Uint8Array(mac.digest());
}

const job = workerData as MacJob;
const ring = new ByteRing(job.ring);
ring.markAlive();
run(job, ring).then(
  (tag) => parentPort?.postMessage({ type: "tag", tag } satisfies MacResult),
  (e: unknown) => {
    ring.abort();
    parentPort?.postMessage({ type: "error", message: e instanceof Error ? e.message : String(e) } satisfies MacResult);
  },
).finally(() => job.key.fill(0));
