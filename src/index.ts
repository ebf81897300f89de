/**
 * opensslwrap for Node.js (and Deno through its Node compatibility): registers the wasm engine
 * from this package's wasm/ folder, and exports the library.
 */
import { setAcceleratedBulk, setWasmMacThreads } from "./bundle/bulk.js";
import { createHash } from "node:crypto";
import { setEngineLoader, setSha256 } from "./openssl/engine.js";
import { nodeBulk } from "./runtime/node-bulk.js";
import { loadNodeEngine } from "./runtime/node-engine.js";
import { wasmMacThread } from "./runtime/mac-thread.js";

setEngineLoader(loadNodeEngine);
setSha256((bytes) => createHash("sha256").update(bytes).digest());
// AES-256-CTR and HMAC over the payload by Node's native crypto, unless `engine: "wasm"`.
setAcceleratedBulk(nodeBulk);
// For big files the HMAC runs on a second thread alongside the cipher (both engines).
setWasmMacThreads(wasmMacThread);

export * from "./core.js";
export {
  encryptFile as encrypt,
  decryptFile as decrypt,
  rotateFile as rotate,
  signPath as sign,
  verifyPath as verify,
  generateKeys,
  readMeta,
  type EncryptFileOptions,
  type DecryptFileOptions,
} from "./runtime/node-api.js";
