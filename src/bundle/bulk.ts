import { enc, hmac, runOpenSSLSync } from "../openssl/index.js";
import { engineModule } from "../openssl/engine.js";
import { hex } from "../openssl/secrets.js";
import type { FileNode } from "../wasi/index.js";
import { ConcatFile } from "./views.js";

/**
 * The bulk work of the v2 format: AES-256-CTR over the payload and HMAC-SHA256 over it.
 * The wasm engine always does it; a runtime may offer an accelerated implementation (Node's
 * native crypto) that must give the same bytes. Key handling, parsing and legacy formats always
 * stay in the wasm engine.
 */
export interface Bulk {
  readonly name: string;
  /**
   * Encrypts `input` into `output` and returns the HMAC-SHA256 under `macKey` of `macPrefix`
   * followed by the ciphertext (the bundle's tag). `output` must read back what was written.
   */
  encrypt(input: FileNode, output: FileNode, key: Uint8Array, iv: Uint8Array, macKey: Uint8Array, macPrefix: Uint8Array): Promise<Uint8Array>;
  decrypt(input: FileNode, output: FileNode, key: Uint8Array, iv: Uint8Array): Promise<void>;
  hmac(key: Uint8Array, input: FileNode): Promise<Uint8Array>;
  /** Synchronous CTR transform of one chunk starting at counter block `counter` (rotation reads). */
  ctr(key: Uint8Array, counter: Uint8Array, data: Uint8Array): Uint8Array;
}

export type Engine = "auto" | "wasm";

/** Everything in the wasm OpenSSL: `enc -aes-256-ctr`, then `dgst -sha256 -mac HMAC` over what it wrote. */
export async function wasmBulk(): Promise<Bulk> {
  const module = await engineModule();
  const ctrArgs = (key: Uint8Array, iv: Uint8Array) => ({ cipher: "aes-256-ctr", key: { key, iv } });
  return {
    name: "wasm",
    async encrypt(input, output, key, iv, macKey, macPrefix) {
      await enc({ input, output, ...ctrArgs(key, iv) });
      return hmac(macKey, new ConcatFile([macPrefix, output.open({ read: true, write: false })]));
    },
    async decrypt(input, output, key, iv) {
      await enc({ input, output, ...ctrArgs(key, iv), decrypt: true });
    },
    hmac: (key, input) => hmac(key, input),
    ctr(key, counter, data) {
      const r = runOpenSSLSync(module, ["enc", "-d", "-aes-256-ctr", "-K", hex(key), "-iv", hex(counter), "-in", "/c", "-out", "/p"], { files: { "/c": data } });
      return r.files.get("/p") ?? new Uint8Array(0);
    },
  };
}

let accelerated: Bulk | undefined;

/** Set by a runtime entry point that has fast native AES-CTR/HMAC (Node). */
export function setAcceleratedBulk(bulk: Bulk): void {
  accelerated = bulk;
}

/** The implementation for `engine`: "wasm" forces the engine, "auto" prefers an accelerated one. */
export async function bulkFor(engine: Engine = "auto"): Promise<Bulk> {
  return engine === "auto" && accelerated !== undefined ? accelerated : wasmBulk();
}
