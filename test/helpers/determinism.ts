import { setTestSource, type TestSource } from "../../src/openssl/test-seam.js";
import type { RandomSource } from "../../src/wasi/index.js";

/** A reproducible byte stream (xorshift32): NOT random, for byte-for-byte comparisons only. */
export function stream(seed: number): RandomSource {
  let x = seed >>> 0 || 1;
  return (dst) => {
    for (let i = 0; i < dst.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      dst[i] = x & 0xff;
    }
  };
}

/** Makes every draw and every clock reading reproducible, from the same starting point each call. */
export function deterministic(): TestSource {
  const source: TestSource = {
    random: stream(0x5eed),
    engineRandom: () => stream(0xe9e),
    clock: { realtimeNs: () => 1_780_963_200_000_000_000n, monotonicNs: () => 1_000_000n },
    now: () => new Date(Date.UTC(2026, 5, 9)),
  };
  setTestSource(source);
  return source;
}

export function nondeterministic(): void {
  setTestSource(undefined);
}
