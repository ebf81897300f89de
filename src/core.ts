/** What every entry point (Node/Deno, browser) exports: the runtime-neutral library. */
export * from "./openssl/index.js";
export * from "./bundle/errors.js";
export {
  encryptBytes,
  decryptBytes,
  rotateBytes,
  generateKeyPair,
  signFile,
  verifyFile,
  readMetaFrom,
  encryptTo,
  rotateTo,
  unlock,
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
export type { Engine } from "./bundle/bulk.js";
export { WrapPool } from "./bundle/wrap-pool.js";
export { selftest } from "./selftest.js";
export { MemoryFile, type FileNode, type FileStorage } from "./wasi/index.js";
