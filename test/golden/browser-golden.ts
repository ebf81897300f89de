// The golden vector in Chromium, on the browser build: bundled by test/golden.test.ts.
import { configureEngine, encryptBytes } from "../../src/browser.js";
import { browserContext } from "../../src/runtime/browser/context.js";
import { setTestSource } from "../../src/openssl/test-seam.js";
import { computeGolden } from "./vector.js";

const engine = { wasmUrl: new URL("./openssl.wasm", location.href) };
configureEngine(engine);
// The engine-level API is Node's `opensslwrap/openssl`; in the browser the test runs commands through a context of its own.
const { openssl } = browserContext(engine);
const runOpenSSL = openssl.run.bind(openssl);
(globalThis as unknown as { golden: () => Promise<{ hashes: Record<string, string>; bundle: number[] }> }).golden = async () => {
  const r = await computeGolden({ encryptBytes, runOpenSSL, setTestSource });
  return { hashes: r.hashes, bundle: Array.from(r.bundle) };
};
