import { parentPort, workerData } from "node:worker_threads";
import { segmentCounter } from "../../bundle/bulk/segments.js";
import { VirtualFile } from "../../bundle/views.js";
import { encArgv } from "../../openssl/commands/enc.js";
import { runOpenSSLSync } from "../../openssl/run.js";
import type { FileNode, InputStream } from "../../wasi/index.js";
import { ByteRing } from "./byte-ring.js";
import { SEGMENT_HEADER_BYTES, type CtrWorkerData, type FromCtrWorker } from "./ctr-lane.js";

/**
 * A thread of the wasm engine on every core (see ctr-threads.ts). One engine instance for the
 * whole pass, in the engine's batch mode: each segment that arrives through the input ring (a
 * header, then its bytes) becomes one `enc -aes-256-ctr` command line from the segment's counter
 * block, writing to the output ring. One instance rather than one per segment: each instance's
 * memory stays allocated until V8 collects it, which it does only after tens of MiB of them.
 */

const ENC_BUFFER = 256 << 10;

/** The segment as the command reads it: `skip` bytes of nothing (the counter block's part before the segment), then the ring's bytes. */
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

/** The command's output, less its first `skip` bytes, into the ring. */
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

/** The segment being run: what /in/data and /out/data are. */
let current: { input: SegmentInput; output: SegmentOutput; expected: number } | undefined;
const file = (side: "input" | "output"): FileNode => ({
  kind: "file",
  stat: () => (current?.[side] ?? new SegmentOutput(output, 0)).stat(),
  open: () => {
    if (current === undefined) throw new Error("no segment to open");
    return current[side];
  },
});

/** Reads exactly `into.length` bytes from the input ring; false at its end (closed: no more segments). */
function readHeader(into: Uint8Array): boolean {
  let done = 0;
  while (done < into.length) {
    const n = input.read(into.subarray(done));
    if (n === 0) break;
    done += n;
  }
  if (done !== 0 && done !== into.length) throw new Error("a segment header was cut short");
  return done === into.length;
}

/** The batch's standard input: the next segment's command line, once the last segment's command has written all of it. */
function commands(): InputStream {
  let line = new Uint8Array(0);
  const header = new Uint8Array(SEGMENT_HEADER_BYTES);
  return {
    read(dst) {
      if (line.length === 0) {
        if (current !== undefined && current.output.size() !== current.expected) throw new Error(`a segment's command wrote ${current.output.size()} of ${current.expected} bytes`);
        // The last segment's bytes are all in the ring: the serving thread must hear of them now.
        output.flush();
        input.flush();
        if (!readHeader(header)) return 0;
        const v = new DataView(header.buffer);
        const start = v.getFloat64(0, true);
        const length = v.getFloat64(8, true);
        const { counter, skip } = segmentCounter(data.iv, start);
        current = { input: new SegmentInput(input, skip, length), output: new SegmentOutput(output, skip), expected: skip + length };
        line = new TextEncoder().encode(`${encArgv({ cipher: "aes-256-ctr", key: { key: data.key, iv: counter }, bufsize: ENC_BUFFER }, undefined, true).join(" ")}\n`);
      }
      const n = Math.min(dst.length, line.length);
      dst.set(line.subarray(0, n));
      line.fill(0, 0, n); // the line carries the key
      line = line.subarray(n);
      return n;
    },
  };
}

const post = (m: FromCtrWorker) => parentPort?.postMessage(m);
try {
  runOpenSSLSync(data.module, ["-opensslwrap-batch"], { files: { "/in/data": file("input"), "/out/data": file("output") }, stdin: commands() });
} catch (e) {
  input.abort();
  output.abort();
  post({ type: "error", message: e instanceof Error ? e.message : String(e) });
} finally {
  data.key.fill(0);
}
