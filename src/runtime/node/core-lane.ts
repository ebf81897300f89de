import { Worker } from "node:worker_threads";
import type { CtrPass } from "../../bundle/bulk/cores.js";
import type { CtrIv } from "../../bundle/bulk/keys.js";
import type { SegmentSchedule } from "../../bundle/bulk/segments.js";
import type { FileStorage } from "../../wasi/index.js";
import { ByteRing } from "./byte-ring.js";
import { workerScript } from "./worker-url.js";

/** What an engine thread is started with: the compiled engine, the AES key (in memory only) and IV, its two rings and the doorbell. */
export interface CtrWorkerData {
  module: WebAssembly.Module;
  key: Uint8Array;
  iv: CtrIv;
  input: SharedArrayBuffer;
  output: SharedArrayBuffer;
  doorbell: SharedArrayBuffer;
}

/**
 * Each segment goes through the input ring as a header (its start and length, two little-endian
 * float64) and then its bytes; the ring closed means no more segments.
 */
export const SEGMENT_HEADER_BYTES = 16;

/** What an engine thread tells: only why it failed (its output ring says how far it got). */
export type FromCtrWorker = { type: "error"; message: string };

/** Each ring holds four of the engine's reads or writes (ctr-worker.ts), so that neither side waits for the other's every step. */
const RING_BYTES = 1 << 20;
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
  /** The segment in hand, its header until it is in the ring, and how much of it went in and came back. */
  private segment: number | undefined;
  private header: Uint8Array | undefined;
  /** No more segments for this thread. */
  private ended = false;
  private fed = 0;
  private drained = 0;

  constructor(module: WebAssembly.Module, keys: CtrPass["keys"], doorbell: SharedArrayBuffer, fail: (e: Error) => void) {
    this.input = new ByteRing(RING_BYTES);
    this.output = new ByteRing(RING_BYTES);
    this.output.markAlive();
    const data: CtrWorkerData = { module, key: keys.cipher, iv: keys.iv, input: this.input.buffer, output: this.output.buffer, doorbell };
    this.worker = new Worker(workerScript("ctr-worker.js"), { workerData: data });
    this.worker.on("message", (m: FromCtrWorker) => fail(new Error(`an engine thread failed: ${m.message}`)));
    this.worker.on("error", fail);
    this.exited = new Promise((resolve) =>
      this.worker.on("exit", (code) => {
        if (code !== 0) fail(new Error(`an engine thread exited with code ${code}`));
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
    if (this.header !== undefined && this.input.tryWrite(this.header)) {
      this.header = undefined;
      moved = true;
    }
    while (this.header === undefined && this.fed < s.length) {
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

  /** Takes the next segment; with none left, tells the thread (it ends once it has written the last). */
  private begin(pass: CtrPass, schedule: SegmentSchedule): boolean {
    const i = schedule.take();
    const s = i === undefined ? undefined : pass.segments[i];
    if (i === undefined || s === undefined) {
      this.end();
      return false;
    }
    this.segment = i;
    this.fed = 0;
    this.drained = 0;
    const header = new DataView(new ArrayBuffer(SEGMENT_HEADER_BYTES));
    header.setFloat64(0, s.start, true);
    header.setFloat64(8, s.length, true);
    this.header = new Uint8Array(header.buffer);
    return true;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.input.close();
  }

  /** Wakes the thread from any wait on a ring, for good (a failure elsewhere). */
  abort(): void {
    this.input.abort();
    this.output.abort();
  }

  /**
   * Ends the thread and zeroes the rings (payload bytes passed through them). `done`: the thread
   * is told there are no more segments, and ends by itself, zeroing its copy of the key on the
   * way; otherwise (a failure) it is terminated wherever it is.
   */
  async stop(done: boolean): Promise<void> {
    if (done) {
      this.end();
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
