/**
 * `opensslwrap/openssl`: the engine-level API for Node.js and Deno. `runOpenSSL` runs any command of
 * the pinned OpenSSL 3.5.7 (wasm) in a fresh instance over an in-memory filesystem; the typed
 * helpers (`enc`, `dgst`, `pkeyutl`, keys, ...) take the engine as their first argument:
 * `enc(openssl, { ... })`.
 */
import type { OpenSSL, RunOptions, RunResult } from "./openssl/index.js";
import { defaultNodeContext } from "./runtime/node/context.js";

/** The package's engine (wasm/openssl.wasm, checked against wasm/manifest.json), compiled on first use. */
export const openssl: OpenSSL = defaultNodeContext().openssl;

/**
 * Runs `openssl ARGV...` over a virtual filesystem (`files` maps absolute virtual paths to bytes or
 * virtual files). Passphrases belong in `files`, given as `file:/path`, never in `argv`.
 * @throws OpenSSLError when the command exits non-zero (its stderr attached)
 */
export function runOpenSSL(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return openssl.run(argv, options);
}

export * from "./openssl/commands/index.js";
export { EngineIntegrityError, hex, OpenSSL, OpenSSLError, runOpenSSLSync, unhex, type InputFile, type RunOptions, type RunResult } from "./openssl/index.js";
export { MemoryFile, type FileNode, type FileStorage } from "./wasi/index.js";
