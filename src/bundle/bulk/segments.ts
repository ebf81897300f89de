import { counterAt } from "./ctr-view.js";
import type { CtrIv } from "./keys.js";

/**
 * A CTR payload cut into segments that engine runs on several threads encrypt (or decrypt) at
 * once: CTR blocks are independent, so a segment needs only the counter block of its first byte.
 * Runtime-neutral: the threads are a runtime's (src/runtime/node/core-threads.ts).
 */

const BLOCK = 16;

/**
 * Bytes of one segment (one `enc` command): small enough that the MAC thread, which reads the
 * ciphertext in order, follows the threads closely and has little left when they are done; big
 * enough that a command's start (the key schedule, a few buffers) does not count.
 */
export const SEGMENT_BYTES = 4 << 20;

export interface Segment {
  /** Its first byte's position in the payload. */
  readonly start: number;
  readonly length: number;
}

/** `size` bytes in segments of `segmentBytes` (the last one shorter), in payload order. */
export function planSegments(size: number, segmentBytes = SEGMENT_BYTES): Segment[] {
  if (!(segmentBytes >= 1)) throw new RangeError("a segment holds at least one byte");
  const segments: Segment[] = [];
  for (let start = 0; start < size; start += segmentBytes) segments.push({ start, length: Math.min(segmentBytes, size - start) });
  return segments;
}

/**
 * What `enc -aes-256-ctr -iv` needs to start at `start`: the counter block that holds the byte,
 * and how many bytes of that block's keystream come before it (0 when `start` is a multiple of
 * 16). A run given `skip` bytes of anything ahead of the segment, whose first `skip` output bytes
 * are dropped, gives exactly the segment's part of a single run over the whole payload.
 */
export function segmentCounter(iv: CtrIv, start: number): { counter: Uint8Array; skip: number } {
  return { counter: counterAt(iv, start), skip: start % BLOCK };
}

/**
 * The segments of one pass, handed out in payload order, and how far the output is complete from
 * the start (the MAC reads the ciphertext in order behind the threads, up to there).
 */
export class SegmentSchedule {
  private handed = 0;
  private readonly done: number[];
  /** The first segment not complete yet. */
  private first = 0;
  private readonly total: number;

  constructor(readonly segments: readonly Segment[]) {
    this.done = segments.map(() => 0);
    this.total = segments.reduce((n, s) => n + s.length, 0);
  }

  /** The index of the next segment to start, if any is left. */
  take(): number | undefined {
    return this.handed < this.segments.length ? this.handed++ : undefined;
  }

  /** `n` more bytes of segment `i`'s output are in place (each segment's in order). */
  advance(i: number, n: number): void {
    this.done[i] = (this.done[i] ?? 0) + n;
    while (this.first < this.segments.length && this.done[this.first] === this.segments[this.first]?.length) this.first++;
  }

  /** How many bytes from the payload's start are complete. */
  frontier(): number {
    const s = this.segments[this.first];
    return s === undefined ? this.total : s.start + (this.done[this.first] ?? 0);
  }

  complete(): boolean {
    return this.first === this.segments.length;
  }
}
