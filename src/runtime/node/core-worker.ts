import { parentPort, workerData } from "node:worker_threads";
import type { CtrIv } from "../../bundle/bulk/keys.js";
import { segmentCounter } from "../../bundle/bulk/segments.js";
import { VirtualFile } from "../../bundle/views.js";
import { hmacSha256Argv } from "../../openssl/commands/dgst.js";
import { encArgv } from "../../openssl/commands/enc.js";
import { runOpenSSLSync } from "../../openssl/run.js";
import type { FileNode, InputStream } from "../../wasi/index.js";
import { ByteRing } from "../../bundle/bulk/byte-ring.js";
import { ringFile } from "../../bundle/bulk/ring-file.js";
import { JOB_HEADER_BYTES, JobKind, type CoreWorkerData, type FromCoreWorker } from "./core-lane.js";

/**
 * An engine thread of the wasm engine on every core (see core-threads.ts). One engine instance
 * for the thread's life, in the engine's batch mode: each job that arrives through the input ring
 * (a header, then its bytes) becomes one command line, AES-256-CTR of a segment from its counter
 * block or HMAC-SHA256, reading the job's bytes from the input ring and writing its output to the
 * output ring. One instance rather than one per command: an instance costs its start-up, and V8
 * frees a dead instance's memory only once tens of MiB of them have piled up.
 */

const ENC_BUFFER = 256 << 10;
const TAG_BYTES = 32;

/** The command's output, less its first `skip` bytes, into the ring. */
class JobOutput extends VirtualFile {
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
    if (position !== this.written) throw new RangeError("a job's output is written in order");
    this.written += src.length;
    const drop = Math.max(0, Math.min(src.length, this.skip - position));
    if (drop < src.length) this.ring.write(src.subarray(drop));
  }
}

const data = workerData as CoreWorkerData;
const input = new ByteRing(data.input, data.doorbell);
const output = new ByteRing(data.output, data.doorbell);
input.markAlive();

/** The job being run: what /in/data and /out/data are, and how much it must write. */
let current: { input: VirtualFile; output: JobOutput; expected: number } | undefined;
const file = (side: "input" | "output"): FileNode => ({
  kind: "file",
  stat: () => (current?.[side] ?? new JobOutput(output, 0)).stat(),
  open: () => {
    if (current === undefined) throw new Error("no job to open");
    return current[side];
  },
});

/** Takes the next header from the input ring, zeroing it there; false once the ring is closed (the end). */
function takeHeader(into: Uint8Array): boolean {
  let done = 0;
  while (done < into.length) {
    const bytes = input.peek(into.length - done);
    if (bytes.length === 0) break;
    into.set(bytes, done);
    bytes.fill(0);
    input.consume(bytes.length);
    done += bytes.length;
  }
  if (done !== 0 && done !== into.length) throw new Error("a job header was cut short");
  return done === into.length;
}

/** The command line of each kind of job. */
const ctrArgv = (key: Uint8Array, counter: Uint8Array) => encArgv({ cipher: "aes-256-ctr", key: { key, iv: counter }, bufsize: ENC_BUFFER }, undefined, true);
const macArgv = hmacSha256Argv;
/**
 * The batch mode (wasm/ patch 0003) splits each line into an argument list it does not end: after
 * a longer line, a shorter one would see the longer one's last arguments as its own. Every line
 * therefore has the same number of arguments.
 */
if (ctrArgv(new Uint8Array(32), new Uint8Array(16)).length !== macArgv(new Uint8Array(32)).length) throw new Error("the engine threads' command lines differ in length");

/** The next job's command line, set up as `current`; undefined at the end. */
function nextJob(header: Uint8Array): string | undefined {
  if (!takeHeader(header)) return undefined;
  const v = new DataView(header.buffer);
  const kind = v.getUint32(0, true);
  const start = v.getFloat64(8, true);
  const length = v.getFloat64(16, true);
  const key = header.subarray(24, 56);
  if (kind === JobKind.Mac) {
    current = { input: ringFile(input, length), output: new JobOutput(output, 0), expected: TAG_BYTES };
    return macArgv(key).join(" ");
  }
  const { counter, skip } = segmentCounter(header.subarray(56, 72) as CtrIv, start);
  current = { input: ringFile(input, length, skip), output: new JobOutput(output, skip), expected: skip + length };
  return ctrArgv(key, counter).join(" ");
}

/** The batch's standard input: the next job's command line, once the last job's command has written all its output. */
function commands(): InputStream {
  let line = new Uint8Array(0);
  const header = new Uint8Array(JOB_HEADER_BYTES);
  return {
    read(dst) {
      if (line.length === 0) {
        if (current !== undefined && current.output.size() !== current.expected) throw new Error(`a command wrote ${current.output.size()} of ${current.expected} bytes`);
        // The last job's output is all in the ring: the serving thread must hear of it now.
        output.flush();
        input.flush();
        const next = nextJob(header);
        header.fill(0);
        if (next === undefined) return 0;
        line = new TextEncoder().encode(`${next}\n`);
      }
      const n = Math.min(dst.length, line.length);
      dst.set(line.subarray(0, n));
      line.fill(0, 0, n); // the line carries the key
      line = line.subarray(n);
      return n;
    },
  };
}

try {
  runOpenSSLSync(data.module, ["-opensslwrap-batch"], { files: { "/in/data": file("input"), "/out/data": file("output") }, stdin: commands() });
} catch (e) {
  input.abort();
  output.abort();
  parentPort?.postMessage({ type: "error", message: e instanceof Error ? e.message : String(e) } satisfies FromCoreWorker);
}
