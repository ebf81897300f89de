import { Worker } from "node:worker_threads";
import type { FileStorage } from "../../wasi/index.js";
import { ByteRing } from "../../bundle/bulk/byte-ring.js";
import { workerScript } from "./worker-url.js";

/** What an engine thread is started with: the compiled engine, its two rings and the doorbell. */
export interface CoreWorkerData {
  module: WebAssembly.Module;
  input: SharedArrayBuffer;
  output: SharedArrayBuffer;
  doorbell: SharedArrayBuffer;
}

/**
 * Each job goes through the input ring as a header, then its input bytes; the input ring closed
 * means the thread is to end. The header: kind (u32 at 0), the payload position of a segment's
 * first byte (f64 at 8), the input's length (f64 at 16), the key (32 bytes at 24) and the IV (16
 * at 56). The thread zeroes the header in the ring as it takes it.
 */
export const JOB_HEADER_BYTES = 72;
export const JobKind = {
  /** AES-256-CTR of a segment: its output is as long as its input. */
  Ctr: 1,
  /** HMAC-SHA256 of the input: its output is the 32-byte tag. */
  Mac: 2,
} as const;

export function jobHeader(kind: (typeof JobKind)[keyof typeof JobKind], start: number, length: number, key: Uint8Array, iv?: Uint8Array): Uint8Array {
  const header = new Uint8Array(JOB_HEADER_BYTES);
  const v = new DataView(header.buffer);
  v.setUint32(0, kind, true);
  v.setFloat64(8, start, true);
  v.setFloat64(16, length, true);
  header.set(key, 24);
  if (iv !== undefined) header.set(iv, 56);
  return header;
}

/** What an engine thread tells: only why it failed (its output ring says how far it got). */
export type FromCoreWorker = { type: "error"; message: string };

/** One job for a lane: its header, where its input comes from and where its output goes. */
export interface LaneJob {
  readonly header: Uint8Array;
  readonly inLength: number;
  /** How much of the input exists now (the MAC follows the ciphertext as it is completed). */
  available(): number;
  read(dst: Uint8Array, at: number): number;
  readonly outLength: number;
  write(bytes: Uint8Array, at: number): void;
}

/** Each ring holds four of the engine's reads or writes (core-worker.ts), so that neither side waits for the other's every step. */
const RING_BYTES = 1 << 20;
/** A thread asked to end that has not within this time is terminated. */
const STOP_MS = 5000;

/**
 * One engine thread (core-worker.ts) and the two rings between it and the thread that serves it,
 * which gives it one job at a time. `step` moves what the rings allow without waiting; the engine
 * thread rings the shared doorbell as it moves.
 */
export class Lane {
  private readonly input = new ByteRing(RING_BYTES);
  private readonly output = new ByteRing(RING_BYTES);
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private job: LaneJob | undefined;
  private headerSent = false;
  private fed = 0;
  private drained = 0;
  /** False once the thread has failed or ended: a pool starts another. */
  alive = true;
  /** Where this thread's failure goes: the pass it serves. */
  onFail: (e: Error) => void = () => undefined;

  constructor(
    readonly module: WebAssembly.Module,
    doorbell: SharedArrayBuffer,
  ) {
    this.output.markAlive();
    const data: CoreWorkerData = { module, input: this.input.buffer, output: this.output.buffer, doorbell };
    this.worker = new Worker(workerScript("core-worker.js"), { workerData: data });
    const fail = (e: Error) => {
      this.alive = false;
      this.onFail(e);
    };
    this.worker.on("message", (m: FromCoreWorker) => fail(new Error(`an engine thread failed: ${m.message}`)));
    this.worker.on("error", fail);
    this.exited = new Promise((resolve) =>
      this.worker.on("exit", (code) => {
        this.alive = false;
        if (code !== 0) fail(new Error(`an engine thread exited with code ${code}`));
        resolve();
      }),
    );
    // Between passes an idle thread must not keep the process alive (after the listeners: adding one refs the thread again).
    this.worker.unref();
  }

  get idle(): boolean {
    return this.job === undefined;
  }

  /**
   * While a pass runs, its threads keep the process alive: the thread that serves them sleeps on
   * `Atomics.waitAsync`, which does not.
   */
  hold(held: boolean): void {
    if (held) this.worker.ref();
    else this.worker.unref();
  }

  start(job: LaneJob): void {
    this.job = job;
    this.headerSent = false;
    this.fed = 0;
    this.drained = 0;
  }

  /** Moves what can be moved now: the header, input as far as it exists, output to its place. True if anything moved. */
  step(): boolean {
    const job = this.job;
    if (job === undefined) return false;
    let moved = false;
    if (!this.headerSent && this.input.tryWrite(job.header)) {
      job.header.fill(0);
      this.headerSent = moved = true;
    }
    const limit = Math.min(job.inLength, job.available());
    while (this.headerSent && this.fed < limit) {
      const room = this.input.reserve(limit - this.fed, false);
      if (room.length === 0) break;
      const n = job.read(room, this.fed);
      if (n === 0) throw new Error("an input ended before its declared size");
      this.input.commit(n);
      this.fed += n;
      moved = true;
    }
    while (this.drained < job.outLength) {
      const bytes = this.output.peek(job.outLength - this.drained, false);
      if (bytes.length === 0) break;
      job.write(bytes, this.drained);
      this.output.consume(bytes.length);
      this.drained += bytes.length;
      moved = true;
    }
    if (this.drained === job.outLength) this.job = undefined;
    return moved;
  }

  /** Ends the thread: it ends its engine run (which zeroes the instance's memory) and exits; then the rings are zeroed. */
  async end(): Promise<void> {
    this.input.close();
    const timer = setTimeout(() => void this.worker.terminate(), STOP_MS);
    await this.exited;
    clearTimeout(timer);
    this.wipe();
  }

  /** Stops the thread wherever it is (a failure): its rings are aborted, then zeroed once it is gone. */
  async kill(): Promise<void> {
    this.input.abort();
    this.output.abort();
    await this.worker.terminate();
    this.wipe();
  }

  private wipe(): void {
    this.job?.header.fill(0);
    this.input.wipe();
    this.output.wipe();
  }
}

/** A job's input read from `first`, then `rest` (the MAC's: the authenticated bytes, then the ciphertext). */
export function concatRead(first: Uint8Array, rest: Pick<FileStorage, "read">): (dst: Uint8Array, at: number) => number {
  return (dst, at) => {
    if (at >= first.length) return rest.read(dst, at - first.length);
    const n = Math.min(dst.length, first.length - at);
    dst.set(first.subarray(at, at + n));
    return n;
  };
}
