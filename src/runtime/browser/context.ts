import { wasmBulk } from "../../bundle/bulk/wasm.js";
import { webCryptoBulk } from "../../bundle/bulk/webcrypto.js";
import type { Context } from "../../bundle/context.js";
import { OpenSSL, webSha256 } from "../../openssl/index.js";
import { loadBrowserEngine, type BrowserEngineOptions } from "./engine.js";
import { MacWorker } from "./mac-threads.js";
import { browserPlatform } from "./platform.js";

export interface BrowserContextOptions extends BrowserEngineOptions {
  /** Where mac-worker.js is (default: next to this module). Used only on cross-origin isolated pages. */
  macWorkerUrl?: string | URL;
}

/** A browser's context, and how its bulk engines spread their work. */
export interface BrowserContext extends Context {
  /**
   * Resolves to "second worker" once the MAC worker runs (the page is cross-origin isolated: the
   * HMAC of big payloads runs there), else "one worker" (the tag is computed between the
   * cipher's calls, on the caller's thread).
   */
  readonly threads: Promise<"second worker" | "one worker">;
}

/**
 * The context of browsers: the engine fetched and checked by `loadBrowserEngine`, Web Crypto's
 * SHA-256, and the Web Crypto bulk engine for "auto" (AES-CTR by `crypto.subtle`, the HMAC on a
 * MAC worker where memory can be shared); "wasm" keeps everything in the engine (its HMAC on the
 * MAC worker too, where there is one).
 */
export function browserContext(o: BrowserContextOptions = {}): BrowserContext {
  const openssl = new OpenSSL(() => loadBrowserEngine(o));
  const macs = MacWorker.start(new URL(o.macWorkerUrl ?? "./mac-worker.js", import.meta.url));
  const wasm = wasmBulk(openssl, macs && ((key, module, length) => macs.thread({ engine: "wasm", module }, key, length)));
  const fast = globalThis.crypto?.subtle === undefined ? wasm : webCryptoBulk(wasm, macs && ((key, length) => macs.thread({ engine: "js" }, key, length)));
  return {
    openssl,
    sha256: webSha256,
    bulk: (choice = "auto") => (choice === "wasm" ? wasm : fast),
    platform: browserPlatform(),
    nameRules: "win32",
    threads: (macs?.ready ?? Promise.resolve(false)).then((running) => (running ? "second worker" : "one worker")),
  };
}
