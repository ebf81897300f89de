/**
 * opensslwrap for Node.js (and Deno through its Node compatibility): registers the wasm engine
 * from this package's wasm/ folder, and exports the library.
 */
import { setEngineLoader } from "./openssl/engine.js";
import { loadNodeEngine } from "./runtime/node-engine.js";

setEngineLoader(loadNodeEngine);

export * from "./openssl/index.js";
export * from "./bundle/errors.js";
export {
  encryptBytes,
  decryptBytes,
  rotateBytes,
  generateKeyPair,
  signFile,
  verifyFile,
  opensslVersion,
  type EncryptOptions,
  type DecryptOptions,
  type KeyPair,
  type BundleInfo,
  type Meta,
  type HistoryEntry,
  type LegacyInfo,
  type RsaPublicKey,
} from "./api.js";
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
export { selftest } from "./selftest.js";
