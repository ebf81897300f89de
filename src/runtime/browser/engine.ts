import { EngineIntegrityError, hex, webSha256 } from "../../openssl/index.js";

/** Replaced by the web build (scripts/build-web.mjs) with wasm/manifest.json's sha256. */
declare const __OPENSSLWRAP_WASM_SHA256__: string | undefined;
const BUILT_IN_SHA256: string | undefined = typeof __OPENSSLWRAP_WASM_SHA256__ === "string" ? __OPENSSLWRAP_WASM_SHA256__ : undefined;
/**
 * The engine's path relative to the running module, replaced per bundle by the web build (the
 * library bundles in dist/browser/: "../../wasm/openssl.wasm"; the page: "./openssl.wasm").
 * Unbundled (this module in dist/runtime/browser/) it is the package's wasm/ folder.
 */
declare const __OPENSSLWRAP_WASM_PATH__: string | undefined;
const WASM_PATH = typeof __OPENSSLWRAP_WASM_PATH__ === "string" ? __OPENSSLWRAP_WASM_PATH__ : "../../../wasm/openssl.wasm";

export interface BrowserEngineOptions {
  /** Where openssl.wasm is (default: the package's wasm/openssl.wasm). */
  wasmUrl?: string | URL;
  /**
   * The sha256 (hex) the wasm must have. Default: the one built into this bundle; without one
   * (an unbundled build), `manifest.json` next to the wasm is fetched, which guards against
   * corruption but not against someone who can replace both files.
   */
  sha256?: string;
}

async function manifestSha256(url: URL): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load ${url.href}: HTTP ${response.status}`);
  const manifest = (await response.json()) as { wasm?: { sha256?: unknown } };
  const sha = manifest.wasm?.sha256;
  if (typeof sha !== "string" || !/^[0-9a-f]{64}$/.test(sha)) throw new Error(`${url.href} has no wasm sha256`);
  return sha;
}

/**
 * Fetches and compiles the engine. The response is read once: one branch streams into
 * `WebAssembly.compileStreaming`, the other into the SHA-256 digest; the module is returned only
 * when the digest is the pinned one (else `EngineIntegrityError`).
 */
export async function loadBrowserEngine(o: BrowserEngineOptions = {}): Promise<WebAssembly.Module> {
  // Written as `new URL(literal, import.meta.url)` once bundled, the form bundlers follow as an asset.
  const url = o.wasmUrl === undefined ? new URL(WASM_PATH, import.meta.url) : new URL(o.wasmUrl, import.meta.url);
  const expected = o.sha256 ?? BUILT_IN_SHA256 ?? (await manifestSha256(new URL("./manifest.json", url)));
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load the OpenSSL engine ${url.href}: HTTP ${response.status}`);

  let compiling: Promise<WebAssembly.Module> | undefined;
  let bytes: ArrayBuffer;
  if (response.body !== null && typeof WebAssembly.compileStreaming === "function") {
    const [toCompiler, toDigest] = response.body.tee();
    // A fresh Response with the wasm MIME type: compiles even when the server labels it otherwise.
    compiling = WebAssembly.compileStreaming(new Response(toCompiler, { headers: { "Content-Type": "application/wasm" } }));
    compiling.catch(() => undefined); // awaited below, after the digest check
    bytes = await new Response(toDigest).arrayBuffer();
  } else {
    bytes = await response.arrayBuffer();
  }

  const actual = hex(await webSha256(new Uint8Array(bytes)));
  if (actual !== expected) throw new EngineIntegrityError(expected, actual);
  if (compiling !== undefined) {
    try {
      return await compiling;
    } catch {
      // e.g. a browser that refuses streaming compilation here: compile the checked bytes
    }
  }
  return WebAssembly.compile(bytes);
}
