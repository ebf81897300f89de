import { setTestSource, type TestSource } from "../../src/openssl/test-seam.js";
import { deterministicSource } from "../golden/vector.js";

/** Makes every draw and every clock reading reproducible, from the same starting point each call. */
export function deterministic(): TestSource {
  const source = deterministicSource();
  setTestSource(source);
  return source;
}

export function nondeterministic(): void {
  setTestSource(undefined);
}
