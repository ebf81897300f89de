import type { Clock, RandomSource } from "../wasi/index.js";

/**
 * Test-only determinism: with a source set, every engine run, one-time secret and meta-data
 * time comes from it, so Node, Deno and browsers can be shown to produce identical bytes. Not
 * exported from any package entry point; production code never sets it.
 */
export interface TestSource {
  /** Draws made in JS (one-time secrets, IVs). */
  random: RandomSource;
  /**
   * A fresh source for each engine run, so that what one command draws does not depend on how
   * many commands ran before it (the accelerated and wasm paths run different numbers).
   */
  engineRandom: () => RandomSource;
  clock: Clock;
  now: () => Date;
}

let source: TestSource | undefined;

export function setTestSource(s: TestSource | undefined): void {
  source = s;
}

export function testSource(): TestSource | undefined {
  return source;
}
