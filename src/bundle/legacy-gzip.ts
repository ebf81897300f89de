import { FormatError } from "./errors.js";
import type { ByteSource } from "./tar.js";

/**
 * Bounded gunzip for legacy bundles (runtime-neutral: Web Streams' `DecompressionStream`).
 * The compressed input is fed in small slices, so the decompressor never runs far ahead of the
 * size check: a gzip bomb is refused after at most one slice's worth of expansion.
 */

/** Decompressed size never accepted, whatever the input. */
export const MAX_DECOMPRESSED = 4 * 1024 ** 3;
/**
 * Refused beyond this expansion. Real bundles inflate ~1.3x: their members are base64 of AES
 * ciphertext, which gzip cannot shrink much (tiny bundles, whose tar padding dominates, are covered
 * by MIN_LIMIT). The bound is also the memory a hostile file can make us allocate before it is
 * refused: it was 1000x (deflate's ceiling is ~1032x), so a 4 MiB file took 4 GiB of memory.
 */
export const MAX_RATIO = 32;
/** Tiny inputs may expand this far whatever the ratio (a tar's end-of-archive zero blocks). */
const MIN_LIMIT = 64 * 1024;
const SLICE = 64 * 1024;

/** The decompressed archive, as the list of chunks the decompressor produced (no big copy). */
export class ChunkSource implements ByteSource {
  private readonly starts: number[] = [];
  private readonly total: number;

  constructor(private readonly chunks: readonly Uint8Array[]) {
    let at = 0;
    for (const c of chunks) {
      this.starts.push(at);
      at += c.length;
    }
    this.total = at;
  }

  size(): number {
    return this.total;
  }

  /** Index of the chunk holding `position` (binary search over chunk starts). */
  private chunkAt(position: number): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.starts[mid] ?? 0) <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  read(dst: Uint8Array, position: number): number {
    if (position < 0 || position >= this.total || dst.length === 0) return 0;
    let i = this.chunkAt(position);
    let done = 0;
    let at = position;
    while (done < dst.length && i < this.chunks.length) {
      const chunk = this.chunks[i] ?? new Uint8Array(0);
      const offset = at - (this.starts[i] ?? 0);
      const n = Math.min(chunk.length - offset, dst.length - done);
      dst.set(chunk.subarray(offset, offset + n), done);
      done += n;
      at += n;
      i++;
    }
    return done;
  }
}

/** Gzip magic number. */
export function hasGzipMagic(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * Decompresses a gzip file, refusing more than min(4 GiB, MAX_RATIO x the input) of output.
 * Any failure (not gzip, corrupted, truncated, too big) is a `FormatError`.
 */
export async function gunzipBounded(gz: Uint8Array, maxOutput = MAX_DECOMPRESSED): Promise<ChunkSource> {
  if (!hasGzipMagic(gz)) throw new FormatError("not an opensslwrap bundle (not gzip-compressed)");
  const limit = Math.min(maxOutput, Math.max(MAX_RATIO * gz.length, MIN_LIMIT));
  let offset = 0;
  const input = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      if (offset >= gz.length) {
        controller.close();
        return;
      }
      const end = Math.min(offset + SLICE, gz.length);
      // A copy per slice: the decompressor may keep or transfer what it is given.
      controller.enqueue(gz.slice(offset, end));
      offset = end;
    },
  });
  const reader = input.pipeThrough(new DecompressionStream("gzip")).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) {
        throw new FormatError(
          total > maxOutput
            ? `not an opensslwrap bundle: decompresses to more than ${maxOutput} bytes`
            : `not an opensslwrap bundle: decompresses more than ${MAX_RATIO} times its size (a gzip bomb?)`,
        );
      }
      chunks.push(value);
    }
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    if (e instanceof FormatError) throw e;
    throw new FormatError("not an opensslwrap bundle (corrupted or truncated gzip data)");
  }
  return new ChunkSource(chunks);
}
