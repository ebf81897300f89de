/**
 * opensslwrap for Node.js, and Deno through its Node compatibility: the verbs on paths and on
 * bytes, key helpers, and the error classes. The engine is the package's wasm/openssl.wasm,
 * checked against wasm/manifest.json and compiled on first use. The engine-level API (run any
 * OpenSSL command) is the `opensslwrap/openssl` subpath.
 */
import type { DecryptOptions } from "./api/decrypt.js";
import { withEncrypter, type Encrypter, type EncrypterOptions, type EncryptOptions } from "./api/encrypter.js";
import { answer, type KeyPair, type NewKeyOptions, type VerifyOptions } from "./api/keys.js";
import type { BundleInfo, ReadMetaOptions } from "./api/info.js";
import { verbsOn, type ByteVerbs } from "./api/verbs.js";
import type { RsaPublicKey } from "./bundle/keys.js";
import type { LegacyInfo } from "./bundle/legacy.js";
import type { Meta } from "./bundle/meta.js";
import type { KeyInput } from "./openssl/index.js";
import { defaultNodeContext as ctx } from "./runtime/node/context.js";
import * as paths from "./verbs/node.js";
import * as pipes from "./verbs/node-pipes.js";

/**
 * Encrypts FILE to FILE.enc for the recipients (each can decrypt alone). The bundle is written
 * under a temporary name, fsynced, read back, and its payload decrypted and compared with FILE;
 * only then is it renamed into place and, unless `keep`, FILE overwritten with zeros and removed.
 * @throws PublicKeyError, KeyTooShortError (a recipient's key), PrivateKeyError, PassphraseError
 * (`signWith`), FileExistsError (the bundle exists), FormatError (not a regular file; the read-back
 * check failed), Error naming the disk's failure (full, I/O error).
 */
export function encrypt(file: string, o: paths.EncryptFileOptions): Promise<paths.EncryptFileResult> {
  return withEncrypter(ctx(), o, (encrypter) => paths.encryptFile(encrypter, file, o));
}

/**
 * Decrypts a bundle (this format, or the 2012 opensslwrap / pyFileSec layouts) to the original's
 * name next to it, or `out`. The tag is checked before any plaintext reaches that name, and the
 * signature of each of `signers`, if given, before any is written.
 * @throws DecryptError (not a recipient), PrivateKeyError, PassphraseError, IntegrityError (altered
 * or corrupted), FormatError (not a bundle), FileExistsError (the output exists; see `force`),
 * SignatureError (not signed by one of `signers`).
 */
export function decrypt(bundle: string, o: paths.DecryptFileOptions): Promise<{ output: string; meta: Meta | LegacyInfo }> {
  return paths.decryptFile(ctx(), bundle, o);
}

/**
 * Encrypts a stream of unknown length (e.g. `process.stdin`) to the bundle `out`, verified by
 * reading it back like a file. The plaintext never reaches the disk: up to `memoryLimit` bytes
 * (default 64 MiB) it is held in memory, beyond that spooled next to `out` encrypted under a
 * one-time key held in memory. The bundle records no file name.
 * @throws as `encrypt`
 */
export function encryptStream(input: AsyncIterable<Uint8Array>, out: string, o: EncryptOptions & pipes.StreamOptions): Promise<paths.EncryptFileResult> {
  return withEncrypter(ctx(), o, (encrypter) => pipes.encryptStream(encrypter, input, out, o));
}

/**
 * Decrypts a bundle into `write` (e.g. standard output), which gets the plaintext in order, only
 * after the tag was checked in a pass of its own (nothing written to a stream can be taken back).
 * @throws as `decrypt`, and whatever `write` throws
 */
export function decryptTo(bundle: string, write: (bytes: Uint8Array) => void, o: DecryptOptions): Promise<{ meta: Meta | LegacyInfo }> {
  return pipes.decryptTo(ctx(), bundle, write, o);
}

/**
 * Re-encrypts a bundle for new recipients with a fresh secret, replacing it atomically once the new
 * bundle has been read back and checked; the old meta-data joins the history. The plaintext is
 * never written. A legacy bundle (2012 opensslwrap, pyFileSec) becomes a v2 bundle, its meta-data
 * kept in the history as converted.
 * @throws as `decrypt` (for the old key) and `encrypt` (for the new ones)
 */
export function rotate(bundle: string, privateKey: KeyInput, o: EncryptOptions & { onWarning?: (message: string) => void }): Promise<{ bundle: string; meta: Meta }> {
  return paths.rotateFile(ctx(), bundle, privateKey, o);
}

/** The RSA-PSS (SHA-256) signature of a file, raw bytes. @throws PrivateKeyError, PassphraseError */
export function sign(file: string, privateKey: KeyInput): Promise<Uint8Array> {
  return paths.signPath(ctx(), file, privateKey);
}

/**
 * Whether `signature` (RSA-PSS or PKCS#1 v1.5, SHA-256; raw, exactly the key's modulus length) is
 * the key's over the file; when not, `onReason` is told why. @throws PublicKeyError, KeyTooShortError
 */
export async function verify(file: string, publicKey: Uint8Array, signature: Uint8Array, o?: VerifyOptions): Promise<boolean> {
  return answer(await paths.verifyPath(ctx(), file, publicKey, signature), o);
}

/**
 * Writes DIR/NAME.pub.pem and DIR/NAME.priv.pem (0600, PKCS#8, AES-256 under the passphrase; no
 * passphrase: unprotected). A failure leaves no file and no folder of its own behind.
 * @throws FileExistsError (either exists), RangeError (bits under 2048), PassphraseError (an empty passphrase)
 */
export function generateKeys(o: NewKeyOptions & { outDir: string; name?: string }): ReturnType<typeof paths.generateKeys> {
  return paths.generateKeys(ctx(), o);
}

/**
 * A bundle's meta-data and recipients, no key needed; with `signers`, `signatures` says whether
 * each of them signed it. @throws FormatError, IntegrityError, PublicKeyError (a signer's key)
 */
export function readMeta(bundle: string, o?: ReadMetaOptions): Promise<BundleInfo> {
  return paths.readMeta(ctx(), bundle, o);
}

// One export each, typed by ByteVerbs (where their TSDoc is): JSR's fast type check wants no destructuring here.
const verbs: ByteVerbs = verbsOn(ctx);
export const encryptBytes: ByteVerbs["encryptBytes"] = verbs.encryptBytes;
export const decryptBytes: ByteVerbs["decryptBytes"] = verbs.decryptBytes;
export const rotateBytes: ByteVerbs["rotateBytes"] = verbs.rotateBytes;
export const signBytes: ByteVerbs["signBytes"] = verbs.signBytes;
export const verifyBytes: ByteVerbs["verifyBytes"] = verbs.verifyBytes;
export const generateKeyPair: ByteVerbs["generateKeyPair"] = verbs.generateKeyPair;
export const readPublicKey: ByteVerbs["readPublicKey"] = verbs.readPublicKey;
export const readPublicKeys: ByteVerbs["readPublicKeys"] = verbs.readPublicKeys;
export const fingerprint: ByteVerbs["fingerprint"] = verbs.fingerprint;
export const createEncrypter: ByteVerbs["createEncrypter"] = verbs.createEncrypter;
export const selftest: ByteVerbs["selftest"] = verbs.selftest;

export { DecryptError, FileBusyError, FileExistsError, FormatError, IntegrityError, KeyTooShortError, OpensslwrapError, PassphraseError, PrivateKeyError, PublicKeyError, SignatureError } from "./bundle/errors.js";
export { EngineIntegrityError, OpenSSLError } from "./openssl/errors.js";
export type { DecryptOptions, EncryptOptions, EncrypterOptions, Encrypter, KeyInput, KeyPair, LegacyInfo, Meta, RsaPublicKey };
export type { FileOptions, Recipients } from "./api/encrypter.js";
export type { BundleInfo, ReadMetaOptions } from "./api/info.js";
export type { NewKeyOptions, VerifyOptions };
export type { PublicKeyInput, SignatureCheck } from "./api/signatures.js";
export type { HistoryEntry, LegacyHistoryEntry } from "./bundle/meta.js";
export type { StreamOptions } from "./verbs/node-pipes.js";
export type { EngineChoice } from "./bundle/bulk/engine.js";
export type { DecryptFileOptions, EncryptFileOptions, EncryptFileResult, EncryptPathOptions } from "./verbs/node.js";
