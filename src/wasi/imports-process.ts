import { ClockId, Errno, FsError } from "./errno.js";
import type { GuestMemory } from "./guest-memory.js";
import { guarded } from "./guard.js";

/** The guest called exit(): unwinds the host call stack back to `run`. */
export class ProcExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = "ProcExit";
  }
}

export interface Clock {
  realtimeNs(): bigint;
  monotonicNs(): bigint;
}

export const systemClock: Clock = {
  realtimeNs: () => BigInt(Date.now()) * 1_000_000n,
  monotonicNs: () => BigInt(Math.round(performance.now() * 1e6)),
};

/** Fills `dst` with cryptographically strong random bytes. */
export type RandomSource = (dst: Uint8Array) => void;

export const systemRandom: RandomSource = (dst) => {
  // getRandomValues fills views of a plain (never shared) ArrayBuffer, at most 65536 bytes a call.
  // The check lets TypeScript 6's lib (Deno's) see that; it never fails on the engine's memory.
  if (!(dst.buffer instanceof ArrayBuffer)) throw new TypeError("random bytes cannot be drawn into shared memory");
  const view = new Uint8Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < dst.length; i += 65536) crypto.getRandomValues(view.subarray(i, i + 65536));
};

/** A NUL-terminated string table (argv or environ) in the guest's layout. */
function stringTable(mem: GuestMemory, items: readonly string[]) {
  const encoded = items.map((s) => new TextEncoder().encode(`${s}\0`));
  return {
    sizes: guarded((countPtr: number, sizePtr: number) => {
      mem.u32(countPtr, encoded.length);
      mem.u32(sizePtr, encoded.reduce((n, e) => n + e.length, 0));
    }),
    get: guarded((ptrsPtr: number, bufPtr: number) => {
      let buf = bufPtr >>> 0;
      encoded.forEach((e, i) => {
        mem.u32(ptrsPtr + i * 4, buf);
        mem.bytes(buf, e.length).set(e);
        buf += e.length;
      });
    }),
  };
}

/** args, environ, clocks, randomness and exit. */
export function processImports(mem: GuestMemory, args: readonly string[], env: readonly string[], clock: Clock, random: RandomSource) {
  const argv = stringTable(mem, args);
  const environ = stringTable(mem, env);
  return {
    args_sizes_get: argv.sizes,
    args_get: argv.get,
    environ_sizes_get: environ.sizes,
    environ_get: environ.get,
    clock_time_get: guarded((id: number, _precision: bigint, ptr: number) => {
      if (id === ClockId.REALTIME) mem.u64(ptr, clock.realtimeNs());
      else if (id === ClockId.MONOTONIC || id === ClockId.PROCESS_CPUTIME || id === ClockId.THREAD_CPUTIME) mem.u64(ptr, clock.monotonicNs());
      else throw new FsError(Errno.INVAL);
    }),
    random_get: guarded((ptr: number, len: number) => random(mem.bytes(ptr, len))),
    proc_exit: (code: number): never => {
      throw new ProcExit(code);
    },
  };
}
