/**
 * `opensslwrap/openssl` for browsers: the engine-level API of the Node subpath (src/openssl-api.ts)
 * on the browser's engine, `openssl.wasm` next to this module, checked against the pinned sha256.
 */
import { OpenSSL, type RunOptions, type RunResult } from "./openssl/index.js";
import { loadBrowserEngine, type BrowserEngineOptions } from "./runtime/browser/engine.js";

/** The engine, compiled on first use; `configureEngine` replaces it. */
export let openssl = new OpenSSL(() => loadBrowserEngine());

/** Sets where the engine comes from (call before the first command; the default needs no call). */
export function configureEngine(o: BrowserEngineOptions = {}): void {
  openssl = new OpenSSL(() => loadBrowserEngine(o));
}

/** Runs `openssl ARGV...` over a virtual filesystem. @throws OpenSSLError when the command exits non-zero */
export function runOpenSSL(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return openssl.run(argv, options);
}

export * from "./openssl/commands/index.js";
export { EngineIntegrityError, hex, OpenSSL, OpenSSLError, runOpenSSLSync, unhex, type InputFile, type RunOptions, type RunResult } from "./openssl/index.js";
export { MemoryFile, type FileNode, type FileStorage } from "./wasi/index.js";
