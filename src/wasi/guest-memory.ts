/** 4 KiB, the system's page, in 32-bit words. */
const PAGE_WORDS = 1024;

/**
 * Reads and writes the guest's linear memory. Views are made fresh on every call because the
 * guest's `memory.grow` detaches the old ArrayBuffer. Pointers arrive as signed i32: `>>> 0`.
 */
export class GuestMemory {
  private memory: WebAssembly.Memory | undefined;

  attach(memory: WebAssembly.Memory): void {
    this.memory = memory;
  }

  private buffer(): ArrayBuffer {
    if (this.memory === undefined) throw new Error("WASI call before the instance was attached");
    return this.memory.buffer;
  }

  bytes(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.buffer(), ptr >>> 0, len >>> 0);
  }

  view(): DataView {
    return new DataView(this.buffer());
  }

  string(ptr: number, len: number): string {
    return new TextDecoder("utf-8", { fatal: true }).decode(this.bytes(ptr, len));
  }

  u32(ptr: number, value: number): void {
    this.view().setUint32(ptr >>> 0, value, true);
  }

  u64(ptr: number, value: bigint): void {
    this.view().setBigUint64(ptr >>> 0, value, true);
  }

  /** The (pointer, length) pairs of an iovec array. */
  iovecs(ptr: number, count: number): [number, number][] {
    const v = this.view();
    const out: [number, number][] = [];
    for (let i = 0; i < count >>> 0; i++) {
      const at = (ptr >>> 0) + i * 8;
      out.push([v.getUint32(at, true), v.getUint32(at + 4, true)]);
    }
    return out;
  }

  /**
   * Zeroes the memory: the guest held keys and plaintext in it. Only the pages that hold data are
   * written: a page the guest never touched is the system's shared zero page until written, so
   * zeroing it too would make the whole memory resident (2-3 MiB for a command that used 1) until
   * V8 collects the instance, which it does only after tens of MiB of such memories.
   */
  wipe(): void {
    if (this.memory === undefined) return;
    const words = new Int32Array(this.memory.buffer);
    for (let page = 0; page < words.length; page += PAGE_WORDS) {
      const end = Math.min(page + PAGE_WORDS, words.length);
      for (let i = page; i < end; i++) {
        if (words[i] !== 0) {
          words.fill(0, page, end);
          break;
        }
      }
    }
  }
}
