/**
 * A one-writer, one-reader byte pipe between two threads over a SharedArrayBuffer. Both sides
 * block (Atomics.wait) rather than queue: the writer goes at the reader's pace, so memory stays at
 * the ring's size whatever the file's. Counters are uint32 byte totals that wrap; the capacity is
 * a power of two below 2^31, so `written - read` is always the bytes in the ring. It carries
 * bytes between the threads of one process: the ciphertext the MAC covers, and, between the
 * threads of the wasm engine on every core, payload segments (whoever made the ring zeroes it
 * when done: `wipe`). Never a key.
 *
 * A thread that serves several rings at once (see core-threads.ts) asks them with `wait = false`
 * and sleeps on a `doorbell` that the threads on their other sides ring: every half ring of bytes
 * they write, before they wait, and when they `flush` (the end of their part). Not on every move:
 * a MAC thread takes 8 KiB at a time, and each wake-up of the serving thread costs both threads.
 * Bytes taken need no ring of their own: the serving thread refills a ring when it drains
 * another, and is rung when the taker runs dry.
 */

const WRITTEN = 0;
const READ = 1;
/** Bumped on every write and on close: what the reader sleeps on (closing changes no count). */
const SIGNAL = 2;
const CLOSED = 3;
/** Set by either side that gives up; the other stops waiting and throws. */
const ABORTED = 4;
/** Set by the reader when it runs: a writer cannot see a thread that failed to start otherwise. */
const ALIVE = 5;
/**
 * Set by a side while it sleeps (or is about to): the other notifies only then. Waking costs a
 * notify (V8 takes a process-wide lock for it) on every move otherwise, several per MiB. Safe
 * because a sleeper waits on the very count the other side changes before it looks at the flag.
 */
const WRITER_WAITING = 6;
const READER_WAITING = 7;
const CONTROL_BYTES = 32;
/** Waits are re-checked at this interval in case the other side died without a word. */
const WAIT_MS = 1000;
/**
 * A full ring that does not drain for this many waits means the reader is gone (its thread
 * never started, or was killed): the writer gives up instead of blocking its thread forever.
 */
const MAX_WAITS_UNSTARTED = 15;
const MAX_WAITS_STALLED = 120;

export class RingAborted extends Error {}

export class ByteRing {
  private readonly control: Int32Array;
  private readonly data: Uint8Array;
  private readonly mask: number;
  private readonly bell: Int32Array | undefined;
  /** Bytes this side moved since it last rang the doorbell. */
  private unrung = 0;

  /**
   * A new ring of `capacity` bytes (a power of two), or the other side's view of an existing one,
   * which rings `doorbell` if given (see `doorbell()`).
   */
  constructor(capacityOrBuffer: number | SharedArrayBuffer, doorbell?: SharedArrayBuffer) {
    const buffer = typeof capacityOrBuffer === "number" ? new SharedArrayBuffer(CONTROL_BYTES + capacityOrBuffer) : capacityOrBuffer;
    const capacity = buffer.byteLength - CONTROL_BYTES;
    if (capacity <= 0 || (capacity & (capacity - 1)) !== 0 || capacity >= 2 ** 31) throw new RangeError("ring capacity must be a power of two below 2^31");
    this.control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
    this.data = new Uint8Array(buffer, CONTROL_BYTES);
    this.mask = capacity - 1;
    this.bell = doorbell === undefined ? undefined : new Int32Array(doorbell, 0, 2);
  }

  /** A doorbell for rings served by one thread: a count that moves, and whether the thread sleeps on it (`sleepOn`). */
  static doorbell(): SharedArrayBuffer {
    return new SharedArrayBuffer(8);
  }

  /** Tells the thread that sleeps on the doorbell that something moved. */
  flush(): void {
    if (this.bell === undefined) return;
    this.unrung = 0;
    ring(this.bell);
  }

  private wrote(n: number): void {
    this.unrung += n;
    if (this.unrung >= this.data.length >>> 1) this.flush();
  }

  /** Before this side sleeps: the serving thread must know what it can do meanwhile. */
  private beforeWait(): void {
    if (this.unrung > 0) this.flush();
  }

  /** Zeroes the bytes (after both sides are done: the payload passed through here). */
  wipe(): void {
    this.data.fill(0);
  }

  get buffer(): SharedArrayBuffer {
    return this.data.buffer as SharedArrayBuffer;
  }

  private count(i: number): number {
    return Atomics.load(this.control, i) >>> 0;
  }

  private checkAborted(): void {
    if (Atomics.load(this.control, ABORTED) !== 0) throw new RingAborted("the other thread stopped");
  }

  /** The reader calls this first thing. */
  markAlive(): void {
    Atomics.store(this.control, ALIVE, 1);
  }

  /** Copies all of `src` into the ring, waiting for room as needed. */
  write(src: Uint8Array): void {
    for (let done = 0; done < src.length; ) {
      const room = this.reserve(src.length - done);
      room.set(src.subarray(done, done + room.length));
      this.commit(room.length);
      done += room.length;
    }
  }

  /** Writes all of `src` if there is room for it now, else nothing (a serving thread's small records). */
  tryWrite(src: Uint8Array): boolean {
    this.checkAborted();
    if (this.data.length - ((this.count(WRITTEN) - this.count(READ)) >>> 0) < src.length) return false;
    this.write(src);
    return true;
  }

  /**
   * Room for up to `max` more bytes, waiting for some: a view into the ring itself (contiguous,
   * so possibly shorter), to be filled and then handed over with `commit`. Filling it directly
   * (a file read into it) saves a copy: copies into shared memory are V8's slow relaxed ones.
   * With `wait = false`, an empty view when the ring is full.
   */
  reserve(max: number, wait = true): Uint8Array {
    let waits = 0;
    for (;;) {
      this.checkAborted();
      const written = this.count(WRITTEN);
      const read = this.count(READ);
      const free = this.data.length - ((written - read) >>> 0);
      if (free > 0) {
        const at = written & this.mask;
        return this.data.subarray(at, at + Math.min(free, max, this.data.length - at));
      }
      if (!wait) return this.data.subarray(0, 0);
      this.beforeWait();
      Atomics.store(this.control, WRITER_WAITING, 1);
      const woken = Atomics.wait(this.control, READ, read | 0, WAIT_MS) !== "timed-out";
      Atomics.store(this.control, WRITER_WAITING, 0);
      if (woken) waits = 0;
      else if (++waits >= (Atomics.load(this.control, ALIVE) === 0 ? MAX_WAITS_UNSTARTED : MAX_WAITS_STALLED)) {
        this.abort();
        throw new RingAborted(Atomics.load(this.control, ALIVE) === 0 ? "the other thread did not start" : "the other thread stopped reading");
      }
    }
  }

  /** Hands the first `n` bytes of the last `reserve`d view to the reader. */
  commit(n: number): void {
    Atomics.store(this.control, WRITTEN, (this.count(WRITTEN) + n) | 0);
    Atomics.add(this.control, SIGNAL, 1);
    if (Atomics.load(this.control, READER_WAITING) !== 0) Atomics.notify(this.control, SIGNAL);
    this.wrote(n);
  }

  /** The writer is done: the reader gets 0 once the ring is empty. */
  close(): void {
    Atomics.store(this.control, CLOSED, 1);
    Atomics.add(this.control, SIGNAL, 1);
    Atomics.notify(this.control, SIGNAL);
    this.flush();
  }

  abort(): void {
    Atomics.store(this.control, ABORTED, 1);
    Atomics.add(this.control, SIGNAL, 1);
    Atomics.notify(this.control, SIGNAL);
    Atomics.notify(this.control, READ);
    this.flush();
  }

  /** Reads up to `dst.length` bytes, waiting for some; 0 only at the end. */
  read(dst: Uint8Array): number {
    const bytes = this.peek(dst.length);
    dst.set(bytes);
    this.consume(bytes.length);
    return bytes.length;
  }

  /**
   * Up to `max` of the next bytes, waiting for some (empty only at the end): a view into the ring
   * itself, valid until `consume` frees them (no copy out of shared memory). With `wait = false`,
   * an empty view when there are none yet.
   */
  peek(max: number, wait = true): Uint8Array {
    for (;;) {
      this.checkAborted();
      const signal = Atomics.load(this.control, SIGNAL);
      const written = this.count(WRITTEN);
      const read = this.count(READ);
      const used = (written - read) >>> 0;
      if (used > 0) {
        const at = read & this.mask;
        return this.data.subarray(at, at + Math.min(used, max, this.data.length - at));
      }
      if (!wait || Atomics.load(this.control, CLOSED) !== 0) return this.data.subarray(0, 0);
      this.beforeWait();
      Atomics.store(this.control, READER_WAITING, 1);
      Atomics.wait(this.control, SIGNAL, signal, WAIT_MS);
      Atomics.store(this.control, READER_WAITING, 0);
    }
  }

  /** Frees the first `n` bytes of the last `peek`ed view for the writer. */
  consume(n: number): void {
    Atomics.store(this.control, READ, (this.count(READ) + n) | 0);
    if (Atomics.load(this.control, WRITER_WAITING) !== 0) Atomics.notify(this.control, READ);
    this.unrung += n;
  }
}

/** Moves a doorbell's count, waking its thread if it sleeps. */
export function ring(bell: Int32Array): void {
  Atomics.add(bell, 0, 1);
  if (Atomics.load(bell, 1) !== 0) Atomics.notify(bell, 0);
}

/**
 * Sleeps (without blocking the event loop) until the doorbell's count moves from `seen`, or
 * `ms` pass; true if it moved. The thread that serves the rings calls it when none can move.
 */
export async function sleepOn(bell: Int32Array, seen: number, ms: number): Promise<boolean> {
  Atomics.store(bell, 1, 1);
  try {
    const wait = waitAsync(bell, 0, seen, ms);
    return (wait.async ? await wait.value : wait.value) !== "timed-out";
  } finally {
    Atomics.store(bell, 1, 0);
  }
}

/** Atomics.waitAsync (Node 16+, Deno; ES2024, beyond this project's lib). */
type WaitAsync = (view: Int32Array, index: number, value: number, timeout: number) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/**
 * The writing side of `ring` for the thread that feeds a reader (a MAC thread): a reader that gave
 * up becomes one error naming `who`.
 */
export function ringWriter(ring: ByteRing, who: string): { write(bytes: Uint8Array): void; reserve(max: number): Uint8Array; commit(n: number): void } {
  const failed = (e: unknown) => (e instanceof RingAborted ? new Error(`the ${who} failed: ${e.message}`, { cause: e }) : e);
  return {
    write(bytes) {
      try {
        ring.write(bytes);
      } catch (e) {
        throw failed(e);
      }
    },
    reserve(max) {
      try {
        return ring.reserve(max);
      } catch (e) {
        throw failed(e);
      }
    },
    commit: (n) => ring.commit(n),
  };
}
