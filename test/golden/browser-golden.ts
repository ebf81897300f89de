// The golden vector in Chromium, on the browser build: bundled by test/golden.test.ts.
import { configureEngine, encryptBytes, runOpenSSL } from "../../src/browser.js";
import { setTestSource } from "../../src/openssl/test-seam.js";
import { computeGolden } from "./vector.js";

configureEngine({ wasmUrl: new URL("./openssl.wasm", location.href) });
(globalThis as unknown as { golden: () => Promise<{ hashes: Record<string, string>; bundle: number[] }> }).golden = async () => {
  const r = await computeGolden({ encryptBytes, runOpenSSL, setTestSource });
  return { hashes: r.hashes, bundle: Array.from(r.bundle) };
};
