import { enc, hex, hmac, runOpenSSLSync, type OpenSSL } from "../../openssl/index.js";
import type { FileNode } from "../../wasi/index.js";
import { ObservedFile } from "../hooked-files.js";
import { ConcatFile } from "../views.js";
import { CtrPlaintextView } from "./ctr-view.js";
import { MAC_THREAD_MIN_BYTES, type BulkEngine, type MacThread, type OpenJob, type PayloadProgress } from "./engine.js";
import type { MacKey, PayloadKeys } from "./keys.js";
import { decryptsTo, macAlong, requireTag, requireTagAfter, teed } from "./steps.js";

/** `file`, its reads or writes told to `progress` as `from + weight * position` (a pass of two weighs a half). */
function watched(file: FileNode, progress: PayloadProgress | undefined, from: number, weight: number): FileNode {
  return progress === undefined ? file : new ObservedFile(file, (position) => progress(from + position * weight));
}

/** Starts a thread that runs the engine's `dgst -hmac` over `length` bytes to come (a runtime's: a browser's MAC worker; Node runs the engine on every core, cores.ts, instead), or undefined when none is free. */
export type WasmMacThreads = (key: MacKey, module: WebAssembly.Module, length: number) => MacThread | undefined;

/**
 * The bulk engine with everything in the wasm OpenSSL: `enc -aes-256-ctr`, and
 * `dgst -sha256 -mac HMAC` over what it wrote (encrypting) or read (decrypting). Given
 * `macThreads`, a big payload's HMAC runs on a second thread while this one runs the cipher.
 * Where a runtime has engine threads (Node, Deno), the engine on every core (`cores.ts`) gives
 * the same bytes and uses this one for rotation's reads.
 */
export function wasmBulk(openssl: OpenSSL, macThreads?: WasmMacThreads): BulkEngine {
  const ctr = (keys: PayloadKeys, decrypt: boolean) => ({ cipher: "aes-256-ctr", key: { key: keys.cipher, iv: keys.iv }, decrypt });
  const mac = (job: Pick<OpenJob, "keys" | "authenticated">, payload: FileNode) => hmac(openssl, job.keys.mac, new ConcatFile([job.authenticated, payload.open({ read: true, write: false })]));
  /** A MAC thread for `size` payload bytes, when there are threads and it pays. */
  const thread = async (keys: PayloadKeys, authenticated: Uint8Array, size: number): Promise<MacThread | undefined> =>
    macThreads !== undefined && size >= MAC_THREAD_MIN_BYTES ? macThreads(keys.mac, await openssl.module(), authenticated.length + size) : undefined;

  return {
    name: "wasm",
    async seal(job) {
      const size = job.plaintext.stat().size;
      const t = await thread(job.keys, job.authenticated, size);
      let tag: Uint8Array;
      if (t === undefined) {
        await enc(openssl, { input: watched(job.plaintext, job.progress, 0, 0.5), output: job.ciphertext, ...ctr(job.keys, false) });
        tag = await mac(job, watched(job.ciphertext, job.progress, size / 2, 0.5));
      } else {
        // The engine's writes of the ciphertext feed the MAC thread: one pass, two cores.
        tag = await macAlong(t, job.authenticated, () => enc(openssl, { input: watched(job.plaintext, job.progress, 0, 1), output: teed(job.ciphertext, t), ...ctr(job.keys, false) }));
      }
      return {
        tag,
        check: (stored, original) =>
          decryptsTo(original, size, async (into) => {
            await enc(openssl, { input: stored, output: into, ...ctr(job.keys, true) });
          }),
      };
    },
    async open(job, output) {
      const size = job.ciphertext.stat().size;
      const t = job.tagFirst === true ? undefined : await thread(job.keys, job.authenticated, size);
      if (t === undefined) {
        requireTag(await mac(job, watched(job.ciphertext, job.progress, 0, 0.5)), job.tag);
        await enc(openssl, { input: watched(job.ciphertext, job.progress, size / 2, 0.5), output: await output(), ...ctr(job.keys, true) });
        return;
      }
      // The engine's reads of the payload feed the MAC thread; the tag is judged once written.
      let out: FileNode;
      try {
        out = await output();
      } catch (e) {
        t.abort(); // a MAC thread left waiting would keep the runtime's only one busy
        throw e;
      }
      const tag = await macAlong(t, job.authenticated, () => enc(openssl, { input: watched(teed(job.ciphertext, t), job.progress, 0, 1), output: out, ...ctr(job.keys, true) }));
      requireTagAfter(tag, job.tag, out);
    },
    async view(job) {
      requireTag(await mac(job, job.ciphertext), job.tag);
      return new CtrPlaintextView(job.ciphertext.open({ read: true, write: false }), job.keys.iv, await this.ctr(job.keys.cipher));
    },
    async ctr(cipherKey) {
      const module = await openssl.module();
      const key = hex(cipherKey);
      return (counter, data) => {
        const r = runOpenSSLSync(module, ["enc", "-d", "-aes-256-ctr", "-K", key, "-iv", hex(counter), "-in", "/c", "-out", "/p"], { files: { "/c": data } });
        return r.files.get("/p") ?? new Uint8Array(0);
      };
    },
  };
}
