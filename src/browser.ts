/**
 * opensslwrap for browsers: the verbs on `File`s and on bytes, key helpers and the error classes.
 * The engine is the package's `wasm/openssl.wasm` (or where `configureEngine({ wasmUrl })` says),
 * checked against the pinned sha256 before it is used.
 *
 * The byte verbs work on the main thread. For large files, run the library in a dedicated Web
 * Worker and use the `...Blob` verbs: they stream `File`s in place and write outputs to the
 * origin-private file system (free them with `releaseOutput` once downloaded).
 *
 * The bulk cipher runs on Web Crypto (`engine: "wasm"` keeps it in the engine). In a worker of a
 * cross-origin isolated page, the HMAC of big files runs on a second worker (`mac-worker.js`, next
 * to this module).
 */
import type { DecryptOptions } from "./api/decrypt.js";
import { withEncrypter, type Encrypter, type EncrypterOptions, type EncryptOptions, type Recipients } from "./api/encrypter.js";
import type { BundleInfo, ReadMetaOptions } from "./api/info.js";
import { answer, type KeyPair, type NewKeyOptions, type VerifyOptions } from "./api/keys.js";
import { verbsOn } from "./api/verbs.js";
import type { Context } from "./bundle/context.js";
import type { RsaPublicKey } from "./bundle/keys.js";
import type { LegacyInfo } from "./bundle/legacy.js";
import type { Meta } from "./bundle/meta.js";
import type { KeyInput } from "./openssl/index.js";
import { browserContext, type BrowserContextOptions } from "./runtime/browser/context.js";
import * as blobs from "./verbs/browser.js";

let made: Context | undefined;
const ctx = (): Context => (made ??= browserContext());

/** Sets where the engine (and the MAC worker) come from (call before the first command; the default needs no call). */
export function configureEngine(o: BrowserContextOptions = {}): void {
  made = browserContext(o);
}

/**
 * Encrypts a file to `NAME.enc` in browser storage; the bundle is read back and checked before it
 * is returned. @throws PublicKeyError, KeyTooShortError, PrivateKeyError, PassphraseError, FormatError
 */
export function encryptBlob(file: File, o: Recipients & blobs.EncryptBlobOptions): Promise<{ output: blobs.BrowserOutput; meta: Meta; warnings: string[] }> {
  return withEncrypter(ctx(), o, (encrypter) => blobs.encryptBlob(encrypter, file, o));
}

/**
 * Decrypts a bundle to browser storage; the tag, and the signature of each of `signers` if given,
 * are checked before any plaintext is written.
 * @throws DecryptError, PrivateKeyError, PassphraseError, IntegrityError, FormatError, SignatureError
 */
export function decryptBlob(bundle: File, o: DecryptOptions & blobs.BlobRunOptions): Promise<{ output: blobs.BrowserOutput; meta: Meta | LegacyInfo }> {
  return blobs.decryptBlob(ctx(), bundle, o);
}

/**
 * Re-encrypts a bundle for new recipients to browser storage (same name; the old meta-data joins
 * the history). @throws as decryptBlob and encryptBlob
 */
export function rotateBlob(bundle: File, privateKey: KeyInput, o: Recipients & blobs.EncryptBlobOptions): Promise<{ output: blobs.BrowserOutput; meta: Meta; warnings: string[] }> {
  return withEncrypter(ctx(), o, (encrypter) => blobs.rotateBlob(encrypter, bundle, privateKey, o));
}

/** A bundle's meta-data, no key needed; with `signers`, whether each signed it. @throws FormatError, IntegrityError, PublicKeyError */
export function readMetaBlob(bundle: Blob, o?: ReadMetaOptions): Promise<BundleInfo> {
  return blobs.readMetaBlob(ctx(), bundle, o);
}

/** The RSA-PSS (SHA-256) signature of a file, raw bytes. @throws PrivateKeyError, PassphraseError */
export function signBlob(file: Blob, privateKey: KeyInput): Promise<Uint8Array> {
  return blobs.signBlob(ctx(), file, privateKey);
}

/**
 * Whether a signature file (base64 text or raw; the signature exactly the key's modulus length) is
 * the public key's over the file; when not, `onReason` is told why. @throws PublicKeyError, KeyTooShortError
 */
export async function verifyBlob(file: Blob, publicKey: Blob, signature: Blob, o?: VerifyOptions): Promise<boolean> {
  return answer(await blobs.verifyBlob(ctx(), file, publicKey, signature), o);
}

export const { encryptBytes, decryptBytes, rotateBytes, signBytes, verifyBytes, generateKeyPair, readPublicKey, readPublicKeys, fingerprint, createEncrypter, selftest } = verbsOn(ctx);

export { loadBrowserEngine, type BrowserEngineOptions } from "./runtime/browser/engine.js";
export type { BrowserContextOptions } from "./runtime/browser/context.js";
export { releaseOutput } from "./runtime/browser/opfs.js";
export { DecryptError, FileBusyError, FileExistsError, FormatError, IntegrityError, KeyTooShortError, OpensslwrapError, PassphraseError, PrivateKeyError, PublicKeyError, SignatureError } from "./bundle/errors.js";
export { EngineIntegrityError, OpenSSLError } from "./openssl/errors.js";
export type { PublicKeyInput, SignatureCheck } from "./api/signatures.js";
export type { BundleInfo, ReadMetaOptions, NewKeyOptions, VerifyOptions, DecryptOptions, EncryptOptions, EncrypterOptions, Encrypter, KeyInput, KeyPair, LegacyInfo, Meta, Recipients, RsaPublicKey };
export type { Abortable, BlobRunOptions, BrowserOutput, EncryptBlobOptions, Phase, Progress } from "./verbs/browser.js";
