import { availableParallelism } from "node:os";
import type { CorePass, CoreThreads } from "../../bundle/bulk/cores.js";
import { SegmentSchedule } from "../../bundle/bulk/segments.js";
import type { FileStorage } from "../../wasi/index.js";
import { ByteRing, ring, RingAborted, sleepOn } from "../../bundle/bulk/byte-ring.js";
import { concatRead, jobHeader, JobKind, Lane, type LaneJob } from "./core-lane.js";

/**
 * The wasm engine on every core, on Node's worker threads (docs/DESIGN.md, "The wasm engine on
 * every core"). Engine threads (core-lane.ts) stay up between passes, each with one engine
 * instance, until no pass has come for IDLE_MS; a pass runs its segments on as many as there are
 * cores, one segment at a time each, in payload order, and the MAC on one more. This thread does
 * all the file access without waiting on any one ring: it reads each segment into its thread's
 * input ring, writes what comes back to its place in the output, and feeds the MAC thread the
 * ciphertext in order (sealing: the output read back behind the threads, as far as every segment
 * before is complete; opening: the input). When nothing can move it sleeps on the doorbell that
 * the engine threads ring, so the event loop stays free (a thread's failure, the disk's write-backs).
 */

/** A wait on the doorbell is re-checked this often; this many in a row without a move, and the pass gives up. */
const WAIT_MS = 1000;
const MAX_IDLE_WAITS = 120;
/** Engine threads end (and their instances' memory is zeroed) once no pass has come for this long. */
const IDLE_MS = 2000;
const TAG_BYTES = 32;

/** The engine threads of one context: started as passes need them, ended when idle or after a failure. */
class CorePool implements CoreThreads {
  private lanes: Lane[] = [];
  private readonly doorbell = ByteRing.doorbell();
  /** Passes run one at a time: each uses every core. */
  private queue: Promise<unknown> = Promise.resolve();
  private idle: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly count: number) {}

  run(module: WebAssembly.Module, pass: CorePass): Promise<Uint8Array | undefined> {
    const result = this.queue.then(() => this.runNow(module, pass));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runNow(module: WebAssembly.Module, pass: CorePass): Promise<Uint8Array | undefined> {
    clearTimeout(this.idle);
    const ciphers = Math.min(this.count, pass.segments.length);
    const lanes = this.take(module, ciphers + (pass.mac === undefined ? 0 : 1));
    try {
      return await runPass(pass, lanes.slice(0, ciphers), pass.mac === undefined ? undefined : lanes[ciphers], new Int32Array(this.doorbell));
    } catch (e) {
      this.end("kill");
      throw e;
    } finally {
      this.idle = setTimeout(() => this.end("end"), IDLE_MS);
      this.idle.unref();
    }
  }

  /** `n` threads over `module`, started as needed. */
  private take(module: WebAssembly.Module, n: number): Lane[] {
    if (this.lanes.some((l) => l.module !== module || !l.alive)) this.end("kill");
    while (this.lanes.length < n) this.lanes.push(new Lane(module, this.doorbell));
    return this.lanes.slice(0, n);
  }

  private end(how: "end" | "kill"): void {
    const lanes = this.lanes;
    this.lanes = [];
    for (const lane of lanes) void lane[how]();
  }
}

/** Runs one pass on `ciphers` (its segments) and `macLane` (its tag), serving their rings until all is done. */
async function runPass(pass: CorePass, ciphers: readonly Lane[], macLane: Lane | undefined, bell: Int32Array): Promise<Uint8Array | undefined> {
  const schedule = new SegmentSchedule(pass.segments);
  /** The first failure a thread reported (an event, while this thread sleeps on the doorbell: it wakes it). */
  let failed: Error | undefined;
  const lanes = macLane === undefined ? ciphers : [...ciphers, macLane];
  for (const lane of lanes) {
    lane.hold(true);
    lane.onFail = (e) => {
      failed ??= e;
      ring(bell);
    };
  }
  const src = pass.input.open({ read: true, write: false });
  const dst = pass.output?.open({ read: true, write: true });
  const tag = new Uint8Array(TAG_BYTES);
  try {
    dst?.truncate(0);
    const segmentJob = (i: number): LaneJob => {
      const s = pass.segments[i] ?? { start: 0, length: 0 };
      if (dst === undefined) throw new Error("a pass with segments needs an output");
      return {
        header: jobHeader(JobKind.Ctr, s.start, s.length, pass.keys.cipher, pass.keys.iv),
        inLength: s.length,
        available: () => s.length,
        read: (into, at) => src.read(into, s.start + at),
        outLength: s.length,
        write: (bytes, at) => {
          dst.write(bytes, s.start + at);
          schedule.advance(i, bytes.length);
        },
      };
    };
    if (macLane !== undefined && pass.mac !== undefined) {
      const { authenticated, over } = pass.mac;
      const from: Pick<FileStorage, "read"> | undefined = over === "input" ? src : dst;
      if (from === undefined) throw new Error("the MAC over the output needs an output");
      macLane.start({
        header: jobHeader(JobKind.Mac, 0, authenticated.length + pass.size, pass.keys.mac),
        inLength: authenticated.length + pass.size,
        available: () => authenticated.length + (over === "input" ? pass.size : schedule.frontier()),
        read: concatRead(authenticated, from),
        outLength: TAG_BYTES,
        write: (bytes, at) => tag.set(bytes, at),
      });
    }
    for (let idle = 0; ; ) {
      const seen = Atomics.load(bell, 0);
      if (failed !== undefined) throw failed;
      let moved = false;
      for (const lane of ciphers) {
        if (lane.idle) {
          const i = schedule.take();
          if (i !== undefined) lane.start(segmentJob(i));
        }
        moved = lane.step() || moved;
      }
      if (macLane !== undefined) moved = macLane.step() || moved;
      if (schedule.complete() && lanes.every((l) => l.idle)) break;
      if (moved) idle = 0;
      else if (!(await sleepOn(bell, seen, WAIT_MS)) && ++idle >= MAX_IDLE_WAITS) throw new Error("the engine threads stopped moving");
    }
    return macLane === undefined ? undefined : tag;
  } catch (e) {
    // A thread that failed aborted its rings: its own message (on its way) says why.
    if (failed === undefined && (e instanceof RingAborted || (e instanceof Error && e.cause instanceof RingAborted))) await sleepOn(bell, Atomics.load(bell, 0), WAIT_MS);
    throw failed ?? e;
  } finally {
    for (const lane of lanes) {
      lane.onFail = () => undefined;
      lane.hold(false);
    }
    src.close();
    dst?.close();
  }
}

/** Node's engine threads for the wasm engine: as many for segments as the process may use cores. */
export function nodeCoreThreads(count = availableParallelism()): CoreThreads {
  return new CorePool(count);
}
