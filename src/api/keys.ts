import { dgstSign, dgstVerify, genpkeyRsa, publicKeyOf, type KeyInput } from "../openssl/index.js";
import type { FileNode } from "../wasi/index.js";
import type { Context } from "../bundle/context.js";
import { MIN_RSA_BITS, readPrivateKey, readPublicKey } from "../bundle/keys.js";

export interface KeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  fingerprint: string;
}

/** A new RSA key pair: PKCS#8 private key (AES-256 encrypted with a passphrase), SPKI public key. */
export async function generateKeyPair(ctx: Context, o: { bits?: number; passphrase?: Uint8Array | string }): Promise<KeyPair> {
  const bits = o.bits ?? 4096;
  if (bits < MIN_RSA_BITS) throw new RangeError(`--bits must be at least ${MIN_RSA_BITS}`);
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

/** Signs data (RSA-PSS, SHA-256, salt = digest length); returns the raw signature. */
export async function signFile(ctx: Context, data: FileNode, privateKey: KeyInput): Promise<Uint8Array> {
  await readPrivateKey(ctx, privateKey);
  return dgstSign(ctx.openssl, privateKey, data, "pss");
}

/** Verifies an RSA-PSS or PKCS#1 v1.5 SHA-256 signature. */
export async function verifyFile(ctx: Context, data: FileNode, publicKey: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const key = await readPublicKey(ctx, publicKey);
  return (await dgstVerify(ctx.openssl, key.pem, data, signature, "pss")) || (await dgstVerify(ctx.openssl, key.pem, data, signature, "pkcs1"));
}
