import { Worker } from "node:worker_threads";
import type { CtrPass } from "../../bundle/bulk/cores.js";
import { segmentCounter, type SegmentSchedule } from "../../bundle/bulk/segments.js";
import type { FileStorage } from "../../wasi/index.js";
import { ByteRing } from "./byte-ring.js";
import { workerScript } from "./worker-url.js";

/** What an engine thread is started with: the compiled engine, the AES key (in memory only), its two rings and the doorbell. */
export interface CtrWorkerData {
  module: WebAssembly.Module;
  key: Uint8Array;
  input: SharedArrayBuffer;
  output: SharedArrayBuffer;
  doorbell: SharedArrayBuffer;
}

/** Messages to an engine thread: a segment to run (its bytes follow in the input ring), or the end. */
export type ToCtrWorker = { type: "segment"; counter: Uint8Array; skip: number; length: number } | { type: "end" };
/** What an engine thread tells: only why it failed (its output ring says how far it got). */
export type FromCtrWorker = { type: "error"; message: string };

/** Each ring holds a few of the engine's 1 MiB reads and writes, so that neither side waits for the other's every step. */
const RING_BYTES = 4 << 20;
/** A thread asked to end that has not within this time is terminated. */
const STOP_MS = 5000;

/**
 * One engine thread (ctr-worker.ts) and the two rings between it and the thread that serves it:
 * the segment's input goes in, its output comes back. `step` moves what the rings allow without
 * waiting; every move on the thread's side rings the shared doorbell.
 */
export class Lane {
  private readonly input: ByteRing;
  private readonly output: ByteRing;
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private stopping = false;
  /** The segment in hand, and how much of it went in and came back. */
  private segment: number | undefined;
  private fed = 0;
  private drained = 0;

  constructor(module: WebAssembly.Module, key: Uint8Array, doorbell: SharedArrayBuffer, fail: (e: Error) => void) {
    this.input = new ByteRing(RING_BYTES, doorbell);
    this.output = new ByteRing(RING_BYTES, doorbell);
    this.output.markAlive();
    const data: CtrWorkerData = { module, key, input: this.input.buffer, output: this.output.buffer, doorbell };
    this.worker = new Worker(workerScript("ctr-worker.js"), { workerData: data });
    this.worker.on("message", (m: FromCtrWorker) => fail(new Error(`an engine thread failed: ${m.message}`)));
    this.worker.on("error", fail);
    this.exited = new Promise((resolve) =>
      this.worker.on("exit", () => {
        if (!this.stopping) fail(new Error("an engine thread exited early"));
        resolve();
      }),
    );
  }

  /** Moves what can be moved now: takes the next segment if idle, feeds the input ring from `src`, drains the output ring into `dst`. */
  step(pass: CtrPass, schedule: SegmentSchedule, src: FileStorage, dst: Pick<FileStorage, "write">): boolean {
    if (this.segment === undefined && !this.begin(pass, schedule)) return false;
    const i = this.segment ?? 0;
    const s = pass.segments[i];
    if (s === undefined) return false;
    let moved = false;
    while (this.fed < s.length) {
      const room = this.input.reserve(s.length - this.fed, false);
      if (room.length === 0) break;
      const n = src.read(room, s.start + this.fed);
      if (n === 0) throw new Error("the payload ended before its declared size");
      this.input.commit(n);
      this.fed += n;
      moved = true;
    }
    while (this.drained < s.length) {
      const bytes = this.output.peek(s.length - this.drained, false);
      if (bytes.length === 0) break;
      dst.write(bytes, s.start + this.drained);
      this.output.consume(bytes.length);
      this.drained += bytes.length;
      schedule.advance(i, bytes.length);
      moved = true;
    }
    if (this.drained === s.length) this.segment = undefined;
    return moved;
  }

  private begin(pass: CtrPass, schedule: SegmentSchedule): boolean {
    const i = schedule.take();
    const s = i === undefined ? undefined : pass.segments[i];
    if (i === undefined || s === undefined) return false;
    this.segment = i;
    this.fed = 0;
    this.drained = 0;
    const { counter, skip } = segmentCounter(pass.keys.iv, s.start);
    this.worker.postMessage({ type: "segment", counter, skip, length: s.length } satisfies ToCtrWorker);
    return true;
  }

  /** Wakes the thread from any wait on a ring, for good (a failure elsewhere). */
  abort(): void {
    this.input.abort();
    this.output.abort();
  }

  /**
   * Ends the thread and zeroes the rings (payload bytes passed through them). `done`: the thread
   * is asked to end, and zeroes its copy of the key on the way; otherwise (a failure) it is
   * terminated wherever it is.
   */
  async stop(done: boolean): Promise<void> {
    this.stopping = true;
    if (done) {
      this.worker.postMessage({ type: "end" } satisfies ToCtrWorker);
      const timer = setTimeout(() => void this.worker.terminate(), STOP_MS);
      await this.exited;
      clearTimeout(timer);
    } else {
      await this.worker.terminate();
    }
    this.input.wipe();
    this.output.wipe();
  }
}
