/**
 * opensslwrap/upload: a light encryptor for online studies. It writes standard opensslwrap
 * bundles (docs/FORMAT.md) in the participant's browser with Web Crypto alone (no WebAssembly
 * engine, no dependencies), so that the server collecting the data only ever holds ciphertext.
 * Decrypt what it made with the lab's private key: `opensslwrap decrypt`, the library, or
 * scripts/decrypt-with-openssl.sh.
 */
export { encryptForUpload, MAX_UPLOAD_BYTES, UPLOAD_TOOL, UploadTooLargeError, type UploadOptions } from "./encrypt.js";
export { KeyTooShortError, OpensslwrapError, PublicKeyError } from "../bundle/errors.js";
