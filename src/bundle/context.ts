import { hex, type OpenSSL } from "../openssl/index.js";
import type { BulkEngine, EngineChoice } from "./bulk/engine.js";

/**
 * What the format and the verbs run on: built by each runtime's entry point (src/index.ts for
 * Node and Deno, src/browser.ts) and passed down, so that no module holds an engine of its own.
 */
export interface Context {
  readonly openssl: OpenSSL;
  /** SHA-256 of small things (meta-data, keys): the runtime's fastest. */
  sha256(bytes: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** The bulk engine for a choice ("auto": the runtime's fastest; "wasm": all in the engine). */
  bulk(choice?: EngineChoice): BulkEngine;
  /** Runtime and OS, recorded in the meta-data (e.g. "node v20.20.2 linux x64"). */
  readonly platform: string;
  /**
   * Whose file-name rules the names of outputs follow (a `process.platform` value): Node's own
   * platform; "win32" in browsers, the strictest, since a download can land on any system.
   */
  readonly nameRules: string;
}

export async function sha256Hex(ctx: Pick<Context, "sha256">, bytes: Uint8Array): Promise<string> {
  return hex(await ctx.sha256(bytes));
}
