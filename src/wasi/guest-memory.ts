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

  /** Zeroes the whole memory: the guest held keys and plaintext in it. */
  wipe(): void {
    if (this.memory !== undefined) new Uint8Array(this.memory.buffer).fill(0);
  }
}
