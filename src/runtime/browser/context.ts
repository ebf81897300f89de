import { wasmBulk } from "../../bundle/bulk/wasm.js";
import type { Context } from "../../bundle/context.js";
import { OpenSSL, webSha256 } from "../../openssl/index.js";
import { loadBrowserEngine, type BrowserEngineOptions } from "./engine.js";
import { browserPlatform } from "./platform.js";

/**
 * The context of browsers: the engine fetched and checked by `loadBrowserEngine`, Web Crypto's
 * SHA-256, and the wasm bulk engine (Web Crypto has AES-CTR but no streaming HMAC).
 */
export function browserContext(o: BrowserEngineOptions = {}): Context {
  const openssl = new OpenSSL(() => loadBrowserEngine(o));
  const wasm = wasmBulk(openssl);
  return { openssl, sha256: webSha256, bulk: () => wasm, platform: browserPlatform(), nameRules: "win32" };
}
