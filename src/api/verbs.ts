import type { KeyInput } from "../openssl/index.js";
import { MemoryFile } from "../wasi/index.js";
import type { Context } from "../bundle/context.js";
import { readPublicKey as readKey, type RsaPublicKey } from "../bundle/keys.js";
import type { LegacyInfo } from "../bundle/legacy.js";
import type { Meta } from "../bundle/meta.js";
import { decryptBytes, type DecryptOptions } from "./decrypt.js";
import { Encrypter, withEncrypter, type EncrypterOptions, type EncryptOptions } from "./encrypter.js";
import { answer, fingerprint, generateKeyPair, readPublicKeys, signFile, verifyFile, type KeyPair, type NewKeyOptions, type VerifyOptions } from "./keys.js";
import { rotateBytes } from "./rotate.js";
import { selftest } from "./selftest.js";

/**
 * The verbs every entry point offers on bytes and keys. Each entry binds them to its own context
 * (`verbsOn`), made on first use, so that importing the package compiles nothing.
 */
export interface ByteVerbs {
  /** Encrypts bytes into a bundle, in memory. @throws PublicKeyError, KeyTooShortError, PrivateKeyError, PassphraseError (`signWith`) */
  encryptBytes(plaintext: Uint8Array, o: EncryptOptions): Promise<Uint8Array>;
  /**
   * Decrypts a bundle held in memory (this format, or the 2012 opensslwrap / pyFileSec layouts).
   * @throws DecryptError (not a recipient), PrivateKeyError, PassphraseError, IntegrityError (altered or corrupted), FormatError (not a bundle)
   */
  decryptBytes(bundle: Uint8Array, o: DecryptOptions): Promise<{ plaintext: Uint8Array; meta: Meta | LegacyInfo }>;
  /** Re-encrypts a bundle held in memory for new recipients; the old meta-data joins the history. @throws as decryptBytes and encryptBytes */
  rotateBytes(bundle: Uint8Array, privateKey: KeyInput, o: EncryptOptions): Promise<Uint8Array>;
  /** The RSA-PSS (SHA-256, salt = digest length) signature of bytes. @throws PrivateKeyError, PassphraseError */
  signBytes(data: Uint8Array, privateKey: KeyInput): Promise<Uint8Array>;
  /**
   * Whether `signature` (RSA-PSS or PKCS#1 v1.5, SHA-256; exactly the key's modulus length) is the
   * key's over the bytes; when not, `onReason` is told why. @throws PublicKeyError, KeyTooShortError
   */
  verifyBytes(data: Uint8Array, publicKey: Uint8Array, signature: Uint8Array, o?: VerifyOptions): Promise<boolean>;
  /**
   * A new RSA key pair in memory (default 4096 bits; the private key PKCS#8, AES-256 under the
   * passphrase; no passphrase: unprotected). @throws RangeError (bits under 2048), PassphraseError (an empty passphrase)
   */
  generateKeyPair(o?: NewKeyOptions): Promise<KeyPair>;
  /** Reads and checks an RSA public key (PEM or DER). @throws PublicKeyError, KeyTooShortError */
  readPublicKey(key: Uint8Array): Promise<RsaPublicKey>;
  /** Reads and checks every key of a file holding one or more PEM public keys one after another (a recipients file). @throws PublicKeyError, KeyTooShortError */
  readPublicKeys(pems: Uint8Array): Promise<RsaPublicKey[]>;
  /** A key's fingerprint as bundles record it: SHA-256 of its DER public key, hex. @throws PublicKeyError, PrivateKeyError, PassphraseError */
  fingerprint(key: Uint8Array | KeyInput): Promise<string>;
  /** Recipients read once for many files: pass it as `{ encrypter }` wherever recipients are asked for. @throws as encryptBytes */
  createEncrypter(o: EncrypterOptions): Promise<Encrypter>;
  /** Known-answer and round-trip checks of the engine here; true when all pass. */
  selftest(log: (line: string) => void): Promise<boolean>;
}

/** The byte verbs on the context `ctx` gives (called at each use: the entry makes it lazily). */
export function verbsOn(ctx: () => Context): ByteVerbs {
  return {
    encryptBytes: (plaintext: Uint8Array, o: EncryptOptions): Promise<Uint8Array> => withEncrypter(ctx(), o, (e) => e.encryptBytes(plaintext, o)),
    decryptBytes: (bundle: Uint8Array, o: DecryptOptions): Promise<{ plaintext: Uint8Array; meta: Meta | LegacyInfo }> => decryptBytes(ctx(), bundle, o),
    rotateBytes: (bundle: Uint8Array, privateKey: KeyInput, o: EncryptOptions): Promise<Uint8Array> => rotateBytes(ctx(), bundle, privateKey, o),
    signBytes: (data: Uint8Array, privateKey: KeyInput): Promise<Uint8Array> => signFile(ctx(), new MemoryFile(data), privateKey),
    verifyBytes: async (data: Uint8Array, publicKey: Uint8Array, signature: Uint8Array, o?: VerifyOptions): Promise<boolean> => answer(await verifyFile(ctx(), new MemoryFile(data), publicKey, signature), o),
    generateKeyPair: (o: NewKeyOptions = {}): Promise<KeyPair> => generateKeyPair(ctx(), o),
    readPublicKey: (key: Uint8Array): Promise<RsaPublicKey> => readKey(ctx(), key),
    readPublicKeys: (pems: Uint8Array): Promise<RsaPublicKey[]> => readPublicKeys(ctx(), pems),
    fingerprint: (key: Uint8Array | KeyInput): Promise<string> => fingerprint(ctx(), key),
    createEncrypter: (o: EncrypterOptions): Promise<Encrypter> => Encrypter.create(ctx(), o),
    selftest: (log: (line: string) => void): Promise<boolean> => selftest(ctx(), log),
  };
}
