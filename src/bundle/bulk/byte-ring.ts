/**
 * A one-writer, one-reader byte pipe between two threads over a SharedArrayBuffer. Both sides
 * block (Atomics.wait) rather than queue: the writer goes at the reader's pace, so memory stays at
 * the ring's size whatever the file's. Counters are uint32 byte totals that wrap; the capacity is
 * a power of two below 2^31, so `written - read` is always the bytes in the ring. It carries
 * ciphertext only (what the MAC covers), never a secret or plaintext.
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

  /** A new ring of `capacity` bytes (a power of two), or the reader's view of an existing one. */
  constructor(capacityOrBuffer: number | SharedArrayBuffer) {
    const buffer = typeof capacityOrBuffer === "number" ? new SharedArrayBuffer(CONTROL_BYTES + capacityOrBuffer) : capacityOrBuffer;
    const capacity = buffer.byteLength - CONTROL_BYTES;
    if (capacity <= 0 || (capacity & (capacity - 1)) !== 0 || capacity >= 2 ** 31) throw new RangeError("ring capacity must be a power of two below 2^31");
    this.control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
    this.data = new Uint8Array(buffer, CONTROL_BYTES);
    this.mask = capacity - 1;
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

  /**
   * Room for up to `max` more bytes, waiting for some: a view into the ring itself (contiguous,
   * so possibly shorter), to be filled and then handed over with `commit`. Filling it directly
   * (a file read into it) saves a copy: copies into shared memory are V8's slow relaxed ones.
   */
  reserve(max: number): Uint8Array {
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
      if (Atomics.wait(this.control, READ, read | 0, WAIT_MS) !== "timed-out") waits = 0;
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
    Atomics.notify(this.control, SIGNAL);
  }

  /** The writer is done: the reader gets 0 once the ring is empty. */
  close(): void {
    Atomics.store(this.control, CLOSED, 1);
    Atomics.add(this.control, SIGNAL, 1);
    Atomics.notify(this.control, SIGNAL);
  }

  abort(): void {
    Atomics.store(this.control, ABORTED, 1);
    Atomics.add(this.control, SIGNAL, 1);
    Atomics.notify(this.control, SIGNAL);
    Atomics.notify(this.control, READ);
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
   * itself, valid until `consume` frees them (no copy out of shared memory).
   */
  peek(max: number): Uint8Array {
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
      if (Atomics.load(this.control, CLOSED) !== 0) return this.data.subarray(0, 0);
      Atomics.wait(this.control, SIGNAL, signal, WAIT_MS);
    }
  }

  /** Frees the first `n` bytes of the last `peek`ed view for the writer. */
  consume(n: number): void {
    Atomics.store(this.control, READ, (this.count(READ) + n) | 0);
    Atomics.notify(this.control, READ);
  }
}

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
