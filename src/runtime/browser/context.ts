import { wasmBulk } from "../../bundle/bulk/wasm.js";
import type { Context } from "../../bundle/context.js";
import { OpenSSL, webSha256 } from "../../openssl/index.js";
import { loadBrowserEngine, type BrowserEngineOptions } from "./engine.js";

/** Runtime and browser for the meta-data, e.g. "browser Chrome/126.0 Linux x86_64". */
export function browserPlatform(): string {
  const ua = globalThis.navigator?.userAgent ?? "";
  const engine = /(Firefox|Edg|OPR|Chrome)\/[\d.]+/.exec(ua)?.[0] ?? (/Version\/([\d.]+).*Safari/.exec(ua) !== null ? `Safari/${/Version\/([\d.]+)/.exec(ua)?.[1] ?? ""}` : "unknown");
  const os = (globalThis.navigator as { platform?: string } | undefined)?.platform ?? "";
  return `browser ${engine}${os === "" ? "" : ` ${os}`}`;
}

/**
 * The context of browsers: the engine fetched and checked by `loadBrowserEngine`, Web Crypto's
 * SHA-256, and the wasm bulk engine (Web Crypto has AES-CTR but no streaming HMAC).
 */
export function browserContext(o: BrowserEngineOptions = {}): Context {
  const openssl = new OpenSSL(() => loadBrowserEngine(o));
  const wasm = wasmBulk(openssl);
  return { openssl, sha256: webSha256, bulk: () => wasm, platform: browserPlatform(), nameRules: "win32" };
}
