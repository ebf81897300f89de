import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { coresBulk } from "../../bundle/bulk/cores.js";
import { wasmBulk } from "../../bundle/bulk/wasm.js";
import type { Context } from "../../bundle/context.js";
import { compileEngine, OpenSSL } from "../../openssl/index.js";
import { nodeBulk } from "./bulk.js";
import { denoBulk } from "./deno-bulk.js";
import { nodeCoreThreads } from "./core-threads.js";
import { nativeEqual } from "./pump.js";

interface Manifest {
  wasm: { sha256: string };
}

/** The wasm and its manifest sit in the package's wasm/ folder, three levels above this module. */
const WASM_DIR = new URL("../../../wasm/", import.meta.url);

/** Reads the package's wasm, checks it against the manifest's sha256 and compiles it. */
export async function loadNodeEngine(): Promise<WebAssembly.Module> {
  const manifest = JSON.parse(readFileSync(new URL("manifest.json", WASM_DIR), "utf8")) as Manifest;
  return compileEngine(readFileSync(new URL("openssl.wasm", WASM_DIR)), manifest.wasm.sha256);
}

const deno = (globalThis as { Deno?: { version?: { deno?: string } } }).Deno?.version?.deno;
/** Deno's node:crypto AES is about four times slower than its Web Crypto (deno-bulk.ts): Deno gets its own native engine. */
const native = deno === undefined ? nodeBulk : denoBulk;
/** Runtime and OS for the meta-data; Deno's Node compatibility reports a Node version, so name Deno's own. */
const platform = `${deno === undefined ? `node ${process.version}` : `deno ${deno}`} ${process.platform} ${process.arch}`;

/**
 * The context of Node and Deno: the package's engine (or a module compiled by another thread, with
 * its version line), node:crypto's SHA-256 (Web Crypto's runs on libuv's thread pool, where in a
 * batch it waits behind other files' fsyncs), the runtime's native bulk engine, and the wasm one on every
 * core (one thread, with its MAC on a second, for small payloads).
 */
export function nodeContext(engine?: { module: WebAssembly.Module; version?: string }): Context {
  const openssl = engine === undefined ? new OpenSSL(loadNodeEngine) : OpenSSL.of(engine.module, engine.version);
  const wasm = coresBulk(openssl, wasmBulk(openssl), nodeCoreThreads(), { equal: nativeEqual });
  return {
    openssl,
    sha256: (bytes) => createHash("sha256").update(bytes).digest(),
    bulk: (choice = "auto") => (choice === "wasm" ? wasm : native),
    platform,
    nameRules: process.platform,
  };
}

let shared: Context | undefined;
/** The context of the package's entry points (the root and `opensslwrap/openssl`), made on first use: one compiled engine for both. */
export function defaultNodeContext(): Context {
  shared ??= nodeContext();
  return shared;
}
