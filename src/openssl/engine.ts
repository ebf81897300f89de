import "../wasm-types.js";
import { EngineIntegrityError } from "./errors.js";
import { hex } from "./hex.js";
import { runOpenSSLSync, type RunOptions, type RunResult } from "./run.js";

/** SHA-256 by Web Crypto (every runtime has it): the engine's own bytes, before any engine exists. */
export async function webSha256(bytes: Uint8Array): Promise<Uint8Array> {
  const owned = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", owned));
}

/** Checks the wasm against the pinned sha256 and compiles it; refuses a mismatch. */
export async function compileEngine(wasm: Uint8Array<ArrayBuffer>, expectedSha256: string): Promise<WebAssembly.Module> {
  const actual = hex(await webSha256(wasm));
  if (actual !== expectedSha256) throw new EngineIntegrityError(expectedSha256, actual);
  return WebAssembly.compile(wasm);
}

/**
 * The wasm OpenSSL: one compiled module, a fresh instance for every command. Each runtime's entry
 * point makes one with its own loader (Node reads the package's wasm/ folder, a browser fetches
 * it) and passes it down; nothing below holds one of its own.
 */
export class OpenSSL {
  private compiled: Promise<WebAssembly.Module> | undefined;
  private versionLine: Promise<string> | undefined;

  /** `load` fetches, checks and compiles the module: once, or again after it failed. */
  constructor(private readonly load: () => Promise<WebAssembly.Module>) {}

  /** An engine over a module compiled elsewhere (a worker thread is handed its parent's). */
  static of(module: WebAssembly.Module, versionLine?: string): OpenSSL {
    const engine = new OpenSSL(async () => module);
    if (versionLine !== undefined) engine.versionLine = Promise.resolve(versionLine);
    return engine;
  }

  module(): Promise<WebAssembly.Module> {
    this.compiled ??= this.load().catch((e: unknown) => {
      this.compiled = undefined;
      throw e;
    });
    return this.compiled;
  }

  /** `openssl ARGV...` over a virtual filesystem (see `runOpenSSLSync`). */
  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return runOpenSSLSync(await this.module(), argv, options);
  }

  /** The version line, e.g. "OpenSSL 3.5.7 9 Jun 2026 (Library: ...)", asked once. */
  version(): Promise<string> {
    this.versionLine ??= this.run(["version"]).then((r) => new TextDecoder().decode(r.stdout).trim());
    return this.versionLine;
  }
}
