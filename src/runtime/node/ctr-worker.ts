import { parentPort, workerData } from "node:worker_threads";
import { VirtualFile } from "../../bundle/views.js";
import { enc, OpenSSL } from "../../openssl/index.js";
import { ByteRing } from "./byte-ring.js";
import type { CtrWorkerData, FromCtrWorker, ToCtrWorker } from "./ctr-lane.js";

/**
 * A thread of the wasm engine on every core (see ctr-threads.ts): for each segment it is given,
 * one `enc -aes-256-ctr` run from the segment's counter block, reading the segment from its input
 * ring and writing the result to its output ring.
 */

const ENC_BUFFER = 256 << 10;

/** The segment as the run reads it: `skip` bytes of nothing (the counter block's part before the segment), then the ring's bytes. */
class SegmentInput extends VirtualFile {
  private consumed = 0;

  constructor(
    private readonly ring: ByteRing,
    private readonly skip: number,
    private readonly length: number,
  ) {
    super();
  }

  size(): number {
    return this.skip + this.length;
  }

  override read(dst: Uint8Array, position: number): number {
    if (position !== this.consumed) throw new RangeError("a segment is read in order");
    const want = Math.min(dst.length, this.size() - position);
    if (want <= 0) return 0;
    let n: number;
    if (position < this.skip) {
      n = Math.min(want, this.skip - position);
      dst.fill(0, 0, n);
    } else {
      n = this.ring.read(dst.subarray(0, want));
    }
    this.consumed += n;
    return n;
  }
}

/** The run's output, less its first `skip` bytes, into the ring. */
class SegmentOutput extends VirtualFile {
  private written = 0;

  constructor(
    private readonly ring: ByteRing,
    private readonly skip: number,
  ) {
    super();
  }

  size(): number {
    return this.written;
  }

  override write(src: Uint8Array, position: number): void {
    if (position !== this.written) throw new RangeError("a segment is written in order");
    this.written += src.length;
    const drop = Math.max(0, Math.min(src.length, this.skip - position));
    if (drop < src.length) this.ring.write(src.subarray(drop));
  }
}

const data = workerData as CtrWorkerData;
const input = new ByteRing(data.input, data.doorbell);
const output = new ByteRing(data.output, data.doorbell);
input.markAlive();
const openssl = OpenSSL.of(data.module);
const post = (m: FromCtrWorker) => parentPort?.postMessage(m);

async function segment(m: Extract<ToCtrWorker, { type: "segment" }>): Promise<void> {
  await enc(openssl, {
    input: new SegmentInput(input, m.skip, m.length),
    output: new SegmentOutput(output, m.skip),
    cipher: "aes-256-ctr",
    key: { key: data.key, iv: m.counter },
    bufsize: ENC_BUFFER,
  });
}

// One segment at a time, in the order given.
let queue = Promise.resolve();
parentPort?.on("message", (m: ToCtrWorker) => {
  if (m.type === "end") {
    data.key.fill(0);
    parentPort?.close();
    return;
  }
  queue = queue.then(
    () =>
      segment(m).catch((e: unknown) => {
        input.abort();
        output.abort();
        post({ type: "error", message: e instanceof Error ? e.message : String(e) });
      }),
  );
});
