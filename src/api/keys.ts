import { dgstSign, dgstVerify, genpkeyRsa, publicKeyOf, type KeyInput, type SignaturePadding } from "../openssl/index.js";
import type { FileNode } from "../wasi/index.js";
import type { Context } from "../bundle/context.js";
import { PassphraseError } from "../bundle/errors.js";
import { MIN_RSA_BITS, readPrivateKey, readPublicKey, type RsaPublicKey } from "../bundle/keys.js";

export interface KeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  fingerprint: string;
}

/** Below this many characters a new key's passphrase gets a warning (the key is meant to last years). */
export const RECOMMENDED_PASSPHRASE_CHARS = 12;

/** Characters of a passphrase: UTF-8 code points of bytes (counted without decoding: no string copy of the secret). */
function characters(p: Uint8Array | string): number {
  if (typeof p === "string") return [...p].length;
  let n = 0;
  for (const b of p) if ((b & 0xc0) !== 0x80) n++;
  return n;
}

export interface NewKeyOptions {
  bits?: number;
  /** Protects the private key; none for an unprotected key. An empty one is refused. */
  passphrase?: Uint8Array | string;
  /** Told of a passphrase shorter than 12 characters. */
  onWarning?: (message: string) => void;
}

/** A new RSA key pair: PKCS#8 private key (AES-256 encrypted with a passphrase), SPKI public key. */
export async function generateKeyPair(ctx: Context, o: NewKeyOptions): Promise<KeyPair> {
  const bits = o.bits ?? 4096;
  if (bits < MIN_RSA_BITS) throw new RangeError(`--bits must be at least ${MIN_RSA_BITS}`);
  if (o.passphrase !== undefined) {
    const n = characters(o.passphrase);
    // OpenSSL cannot use an empty one ("Error reading password from BIO"); an unprotected key is asked for by giving none.
    if (n === 0) throw new PassphraseError("empty passphrase: give one, or none at all for an unprotected private key");
    if (n < RECOMMENDED_PASSPHRASE_CHARS) o.onWarning?.(`the passphrase has ${n} characters; ${RECOMMENDED_PASSPHRASE_CHARS} or more are recommended for a key meant to last years`);
  }
  const privateKey = await genpkeyRsa(ctx.openssl, { bits, passphrase: o.passphrase });
  const publicKey = await publicKeyOf(ctx.openssl, { key: privateKey, passphrase: o.passphrase });
  return { privateKey, publicKey, fingerprint: (await readPublicKey(ctx, publicKey)).fingerprint };
}

/**
 * A key's fingerprint as bundles record it (docs/FORMAT.md): SHA-256 of the DER public key,
 * lowercase hex. A public key (PEM or DER), or a private key with its passphrase.
 */
export async function fingerprint(ctx: Context, key: Uint8Array | KeyInput): Promise<string> {
  if (key instanceof Uint8Array) return (await readPublicKey(ctx, key)).fingerprint;
  return (await readPrivateKey(ctx, key)).fingerprint;
}

/**
 * The keys of a file holding one PEM key or several one after another (text before, between and
 * after them ignored, as OpenSSL does). Each part from one `-----BEGIN` to the next is a key of
 * its own, so an incomplete one is refused by `readPublicKey`, never dropped. A file without PEM
 * (DER) is one key.
 */
export function splitPems(bytes: Uint8Array): Uint8Array[] {
  const text = new TextDecoder("latin1").decode(bytes);
  const starts = [...text.matchAll(/-----BEGIN /g)].map((m) => m.index);
  if (starts.length <= 1) return [bytes];
  return starts.map((at, i) => bytes.subarray(at, starts[i + 1] ?? bytes.length));
}

/** Reads every public key of a file of one or more PEM keys (see `splitPems`). */
export async function readPublicKeys(ctx: Context, bytes: Uint8Array): Promise<RsaPublicKey[]> {
  const keys: RsaPublicKey[] = [];
  for (const pem of splitPems(bytes)) keys.push(await readPublicKey(ctx, pem));
  return keys;
}

/** Signs data (RSA-PSS, SHA-256, salt = digest length); returns the raw signature. */
export async function signFile(ctx: Context, data: FileNode, privateKey: KeyInput): Promise<Uint8Array> {
  await readPrivateKey(ctx, privateKey);
  return dgstSign(ctx.openssl, privateKey, data, "pss");
}

/** A signature check's answer; `reason`, one line, says why when it is not `ok`. */
export interface Verdict {
  ok: boolean;
  reason?: string;
}

/**
 * THE signature check (files and bundles): whether `signature` is `key`'s over `data`, in one of
 * `paddings` (SHA-256). An RSA signature has exactly the modulus length: anything else is refused
 * here, before OpenSSL sees it, since `dgst -verify` reads only that many bytes (a valid signature
 * with bytes appended would pass: one message would have many signatures) and fails on an empty one.
 */
export async function checkSignature(ctx: Context, data: FileNode, key: RsaPublicKey, signature: Uint8Array, paddings: readonly SignaturePadding[]): Promise<Verdict> {
  const expected = Math.ceil(key.bits / 8);
  if (signature.length !== expected) return { ok: false, reason: `signature is ${signature.length === 0 ? "empty (0 bytes)" : `${signature.length} bytes`}; this key's signatures are ${expected}` };
  for (const p of paddings) if (await dgstVerify(ctx.openssl, key.pem, data, signature, p)) return { ok: true };
  return { ok: false, reason: "the signature does not match: the data changed, or another key signed it" };
}

/** Verifies an RSA-PSS or PKCS#1 v1.5 SHA-256 signature of a file. @throws PublicKeyError, KeyTooShortError */
export async function verifyFile(ctx: Context, data: FileNode, publicKey: Uint8Array, signature: Uint8Array): Promise<Verdict> {
  return checkSignature(ctx, data, await readPublicKey(ctx, publicKey), signature, ["pss", "pkcs1"]);
}

/** What the library's `verify` verbs take besides the file, key and signature. */
export interface VerifyOptions {
  /** Told why, one line, when the answer is false (e.g. "signature is 517 bytes; this key's signatures are 512"). */
  onReason?: (reason: string) => void;
}

/** A verdict as the library's `verify` verbs answer: a boolean, the reason told to `onReason`. */
export function answer(v: Verdict, o: VerifyOptions = {}): boolean {
  if (!v.ok) o.onReason?.(v.reason ?? "not verified");
  return v.ok;
}

/**
 * A signature file's bytes: canonical base64 text (what `sign` writes; whitespace ignored), else the
 * raw signature. Non-canonical base64 (bits set in the padding, missing `=`) is taken as raw bytes,
 * so that one signature has one text; its length then refuses it.
 */
export function signatureBytes(raw: Uint8Array): Uint8Array {
  // A signature is at most 2 KiB (16384-bit keys): anything much longer is refused by its length as it is.
  if (raw.length > 65536) return raw;
  const text = new TextDecoder("latin1").decode(raw).replace(/\s+/g, "");
  if (text === "") return new Uint8Array(0);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return raw;
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return btoa(String.fromCharCode(...bytes)) === text ? bytes : raw;
}
