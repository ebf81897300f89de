import { VirtualFile } from "../views.js";
import type { ByteRing } from "./byte-ring.js";

/**
 * The ring as a file of known length that the engine reads from start to end (`dgst` and `enc`
 * read in order): first `skip` zero bytes (an engine thread's counter block begun before its
 * segment), then `length` bytes from the ring.
 */
class RingFile extends VirtualFile {
  private consumed = 0;

  constructor(
    private readonly ring: ByteRing,
    private readonly length: number,
    private readonly skip: number,
  ) {
    super();
  }

  size(): number {
    return this.skip + this.length;
  }

  override read(dst: Uint8Array, position: number): number {
    if (position !== this.consumed) throw new RangeError("a ring's bytes are read in order");
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

export const ringFile = (ring: ByteRing, length: number, skip = 0): VirtualFile => new RingFile(ring, length, skip);
