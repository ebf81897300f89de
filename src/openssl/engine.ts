import "../wasm-types.js";
import { EngineIntegrityError } from "./errors.js";

/** SHA-256 of small things (meta-data, keys, the engine's own bytes). */
export type Sha256 = (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>;

let sha256: Sha256 = async (bytes) => {
  const owned = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", owned));
};

/**
 * Replaces Web Crypto's digest where the runtime has a synchronous one (Node): Web Crypto's runs
 * as a job on libuv's thread pool, where in a batch it waits behind the fsyncs of other files.
 */
export function setSha256(hash: Sha256): void {
  sha256 = hash;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await sha256(bytes);
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Checks the wasm against the pinned sha256 and compiles it; refuses a mismatch. */
export async function compileEngine(wasm: Uint8Array<ArrayBuffer>, expectedSha256: string): Promise<WebAssembly.Module> {
  const actual = await sha256Hex(wasm);
  if (actual !== expectedSha256) throw new EngineIntegrityError(expectedSha256, actual);
  return WebAssembly.compile(wasm);
}

type Loader = () => Promise<WebAssembly.Module>;
let loader: Loader | undefined;
let module: Promise<WebAssembly.Module> | undefined;

/** Set once by the runtime entry point (Node/Deno, browser): where the wasm comes from. */
export function setEngineLoader(load: Loader): void {
  loader = load;
  module = undefined;
}

/** The compiled engine, compiled once per process and shared by every command. */
export function engineModule(): Promise<WebAssembly.Module> {
  if (loader === undefined) throw new Error("no OpenSSL engine loader: import opensslwrap through its package entry point");
  module ??= loader().catch((e: unknown) => {
    module = undefined;
    throw e;
  });
  return module;
}
