import { VirtualFile } from "../views.js";
import type { ByteRing } from "./byte-ring.js";

/** The ring as a file of known length that the engine reads from start to end (`dgst` reads in order). */
class RingFile extends VirtualFile {
  private consumed = 0;

  constructor(
    private readonly ring: ByteRing,
    private readonly length: number,
  ) {
    super();
  }

  size(): number {
    return this.length;
  }

  override read(dst: Uint8Array, position: number): number {
    if (position !== this.consumed) throw new RangeError("the mac thread reads its input in order");
    const n = this.ring.read(dst);
    this.consumed += n;
    return n;
  }
}

export const ringFile = (ring: ByteRing, length: number): VirtualFile => new RingFile(ring, length);
