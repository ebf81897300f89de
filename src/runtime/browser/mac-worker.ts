/**
 * The MAC worker of browsers (see mac-threads.ts): HMAC-SHA256 over the bytes that arrive through
 * a SharedArrayBuffer ring, one job at a time, by `sha256.ts` (the Web Crypto engine's) or by the
 * engine's `dgst -hmac` (the wasm engine's). The key comes in a message and is zeroed after use;
 * the ring carries only ciphertext.
 */
import { ByteRing } from "../../bundle/bulk/byte-ring.js";
import { ringFile } from "../../bundle/bulk/ring-file.js";
import { HmacSha256 } from "../../bundle/bulk/sha256.js";
import { hmac, OpenSSL } from "../../openssl/index.js";
import type { MacJob, MacReply } from "./mac-threads.js";

interface WorkerScope {
  postMessage(message: MacReply): void;
  onmessage: ((event: MessageEvent<MacJob>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

async function tagOf(job: MacJob, ring: ByteRing): Promise<Uint8Array> {
  if (job.engine === "wasm") return hmac(OpenSSL.of(job.module), job.key, ringFile(ring, job.length));
  const mac = new HmacSha256(job.key);
  // Straight from the ring's memory: a copy out of shared memory is V8's slow relaxed one.
  for (let bytes = ring.peek(1 << 18); bytes.length > 0; bytes = ring.peek(1 << 18)) {
    mac.update(bytes);
    ring.consume(bytes.length);
  }
  return mac.digest();
}

scope.onmessage = (event) => {
  const job = event.data;
  const ring = new ByteRing(job.ring);
  ring.markAlive();
  tagOf(job, ring)
    .then(
      (tag) => scope.postMessage({ id: job.id, tag }),
      (e: unknown) => {
        ring.abort();
        scope.postMessage({ id: job.id, error: e instanceof Error ? e.message : String(e) });
      },
    )
    .finally(() => job.key.fill(0));
};
scope.postMessage({ id: 0, ready: true });
