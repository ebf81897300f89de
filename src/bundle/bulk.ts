import { enc, hmac, runOpenSSLSync } from "../openssl/index.js";
import { engineModule } from "../openssl/engine.js";
import { hex } from "../openssl/secrets.js";
import type { FileNode } from "../wasi/index.js";
import { ConcatFile, TappedFile } from "./views.js";

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
  /** Whether `encrypt` and `decryptAlongside` run the MAC on a second thread for `size` payload bytes. */
  macAlongside(size: number): boolean;
  /**
   * Decrypts `input` into `output` while a second thread computes the HMAC under `macKey` of
   * `macPrefix` followed by `input`; returns that tag, judged only after `output` was written (so
   * `output` must be a temp file, removed if the tag is wrong). Only when `macAlongside`.
   */
  decryptAlongside(input: FileNode, output: FileNode, key: Uint8Array, iv: Uint8Array, macKey: Uint8Array, macPrefix: Uint8Array): Promise<Uint8Array>;
  /**
   * `encrypt` with the read-back check's payload part done as the payload is written (a runtime
   * that can re-open the original by path: Node): each chunk, once written, is read back from
   * `output`, compared with what was computed and MACed as read back, and decrypted and compared
   * with the same bytes re-read from `originalPath`. Returns the tag and whether every payload
   * byte matched. Only when `macAlongside`.
   */
  encryptCheckedAlongside?(input: FileNode, output: FileNode, key: Uint8Array, iv: Uint8Array, macKey: Uint8Array, macPrefix: Uint8Array, originalPath: string): Promise<{ tag: Uint8Array; matches: boolean }>;
  hmac(key: Uint8Array, input: FileNode): Promise<Uint8Array>;
  /** Synchronous CTR transform of one chunk starting at counter block `counter` (rotation reads). */
  ctr(key: Uint8Array, counter: Uint8Array, data: Uint8Array): Uint8Array;
  /** Byte equality for the read-back check, when the runtime has a native one (not secret-dependent timing: both sides are the user's own data). */
  equal?(a: Uint8Array, b: Uint8Array): boolean;
}

export type Engine = "auto" | "wasm";

/** HMAC-SHA256 computed on another thread over the bytes written to it (see src/runtime/mac-thread.ts). */
export interface MacThread {
  /** The next bytes of the MACed data (blocks while the thread is behind). */
  write(bytes: Uint8Array): void;
  /** All data given: the tag. */
  finish(): Promise<Uint8Array>;
  abort(): void;
}

/** Starts a thread that runs the engine's `dgst -hmac` over `length` bytes to come. */
export type WasmMacThreads = (key: Uint8Array, module: WebAssembly.Module, length: number) => MacThread;

let macThreads: WasmMacThreads | undefined;
/** Below this, a thread's start-up (tens of ms) costs more than the overlap saves. */
export const MAC_THREAD_MIN_BYTES = 32 << 20;

/** Set by a runtime entry point that can run the engine on a second thread (Node, Deno). */
export function setWasmMacThreads(start: WasmMacThreads): void {
  macThreads = start;
}

/** `file`, with every byte read or written, in order, also given to `mac`. */
function teed(file: FileNode, mac: MacThread): FileNode {
  let fed = 0;
  return new TappedFile(file, (bytes, position) => {
    if (position !== fed) throw new RangeError("the MAC thread is fed in order");
    mac.write(bytes);
    fed += bytes.length;
  });
}

/** Runs `body` with the MAC of `prefix` and what `body` feeds it on a second thread; the tag. */
async function withMacThread(key: Uint8Array, prefix: Uint8Array, length: number, body: (mac: MacThread) => Promise<void>): Promise<Uint8Array> {
  if (macThreads === undefined) throw new Error("this runtime has no MAC thread");
  const mac = macThreads(key, await engineModule(), prefix.length + length);
  try {
    mac.write(prefix);
    await body(mac);
    return await mac.finish();
  } catch (e) {
    mac.abort();
    throw e;
  }
}

/** Everything in the wasm OpenSSL: `enc -aes-256-ctr`, then `dgst -sha256 -mac HMAC` over what it wrote. */
export async function wasmBulk(): Promise<Bulk> {
  const module = await engineModule();
  const ctrArgs = (key: Uint8Array, iv: Uint8Array) => ({ cipher: "aes-256-ctr", key: { key, iv } });
  const macAlongside = (size: number) => macThreads !== undefined && size >= MAC_THREAD_MIN_BYTES;
  return {
    name: "wasm",
    macAlongside,
    async encrypt(input, output, key, iv, macKey, macPrefix) {
      const size = input.stat().size;
      if (macAlongside(size)) {
        return withMacThread(macKey, macPrefix, size, async (mac) => {
          await enc({ input, output: teed(output, mac), ...ctrArgs(key, iv) });
        });
      }
      await enc({ input, output, ...ctrArgs(key, iv) });
      return hmac(macKey, new ConcatFile([macPrefix, output.open({ read: true, write: false })]));
    },
    async decrypt(input, output, key, iv) {
      await enc({ input, output, ...ctrArgs(key, iv), decrypt: true });
    },
    // The engine's reads of the payload feed the MAC thread: one read, two cores.
    decryptAlongside: (input, output, key, iv, macKey, macPrefix) =>
      withMacThread(macKey, macPrefix, input.stat().size, async (mac) => {
        await enc({ input: teed(input, mac), output, ...ctrArgs(key, iv), decrypt: true });
      }),
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
