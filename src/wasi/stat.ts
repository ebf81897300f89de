import type { GuestMemory } from "./guest-memory.js";
import type { NodeStat } from "./nodes.js";

/** Writes a WASI `filestat` (64 bytes) at `ptr`. */
export function writeFilestat(mem: GuestMemory, ptr: number, s: NodeStat): void {
  const v = mem.view();
  const at = ptr >>> 0;
  v.setBigUint64(at, 0n, true); // dev
  v.setBigUint64(at + 8, s.ino, true);
  v.setUint8(at + 16, s.type);
  v.setBigUint64(at + 24, 1n, true); // nlink
  v.setBigUint64(at + 32, BigInt(s.size), true);
  v.setBigUint64(at + 40, s.mtimeNs, true); // atim
  v.setBigUint64(at + 48, s.mtimeNs, true);
  v.setBigUint64(at + 56, s.mtimeNs, true); // ctim
}
