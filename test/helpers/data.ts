import { stream } from "../golden/vector.js";

/** Deterministic test data, so that failures reproduce byte for byte. */

/** `n` bytes of a fixed pseudo-random pattern (xorshift32 from `seed`): not compressible, not all one value. */
export function pattern(n: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(n);
  stream(seed)(out);
  return out;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);
export const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** A copy of `b` with bit 0 of byte `i` flipped. */
export function flipped(b: Uint8Array, i = 0): Uint8Array {
  const copy = b.slice();
  copy[i] = (copy[i] ?? 0) ^ 0x01;
  return copy;
}

/**
 * Byte equality summarised as length and first differing offset: as exact as `toEqual` on the
 * arrays, much faster on large ones, and the failure message says where the outputs part.
 */
export function byteDiff(actual: Uint8Array, expected: Uint8Array): { length: number; firstDifference: number } {
  const n = Math.min(actual.length, expected.length);
  let i = 0;
  while (i < n && actual[i] === expected[i]) i++;
  return { length: actual.length, firstDifference: i === n && actual.length === expected.length ? -1 : i };
}

export const sameBytes = (expected: Uint8Array) => ({ length: expected.length, firstDifference: -1 });
