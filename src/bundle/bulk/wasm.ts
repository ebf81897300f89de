import { enc, hex, hmac, runOpenSSLSync, type OpenSSL } from "../../openssl/index.js";
import type { FileNode } from "../../wasi/index.js";
import { ConcatFile } from "../views.js";
import { CtrPlaintextView } from "./ctr-view.js";
import type { BulkEngine, OpenJob } from "./engine.js";
import type { PayloadKeys } from "./keys.js";
import { decryptsTo, requireTag } from "./steps.js";

/**
 * The bulk engine with everything in the wasm OpenSSL, on one thread: `enc -aes-256-ctr`, and
 * `dgst -sha256 -mac HMAC` over what it wrote (encrypting) or before it reads (decrypting: no
 * plaintext before the tag is good). Browsers run it; where a runtime has threads, the engine on
 * every core (`cores.ts`) gives the same bytes and uses this one for rotation's reads.
 */
export function wasmBulk(openssl: OpenSSL): BulkEngine {
  const ctr = (keys: PayloadKeys, decrypt: boolean) => ({ cipher: "aes-256-ctr", key: { key: keys.cipher, iv: keys.iv }, decrypt });
  const mac = (job: Pick<OpenJob, "keys" | "authenticated">, payload: FileNode) => hmac(openssl, job.keys.mac, new ConcatFile([job.authenticated, payload.open({ read: true, write: false })]));

  return {
    name: "wasm",
    async seal(job) {
      const size = job.plaintext.stat().size;
      await enc(openssl, { input: job.plaintext, output: job.ciphertext, ...ctr(job.keys, false) });
      return {
        tag: await mac(job, job.ciphertext),
        check: (stored, original) =>
          decryptsTo(original, size, async (into) => {
            await enc(openssl, { input: stored, output: into, ...ctr(job.keys, true) });
          }),
      };
    },
    async open(job, output) {
      requireTag(await mac(job, job.ciphertext), job.tag);
      await enc(openssl, { input: job.ciphertext, output: await output(), ...ctr(job.keys, true) });
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
