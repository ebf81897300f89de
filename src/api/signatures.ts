import type { Context } from "../bundle/context.js";
import { SignatureError } from "../bundle/errors.js";
import { readPublicKey, type RsaPublicKey } from "../bundle/keys.js";
import { authenticated, type OpenedBundle } from "../bundle/v2.js";
import { checkSignature } from "./keys.js";

/** A public key as options take it: PEM or DER bytes, or a key from `readPublicKey`. */
export type PublicKeyInput = Uint8Array | RsaPublicKey;

const isRead = (k: PublicKeyInput): k is RsaPublicKey => "fingerprint" in k;

/** Reads (and checks) the keys not read yet. @throws PublicKeyError, KeyTooShortError */
export async function readKeys(ctx: Context, keys: readonly PublicKeyInput[]): Promise<RsaPublicKey[]> {
  const read: RsaPublicKey[] = [];
  for (const k of keys) read.push(isRead(k) ? k : await readPublicKey(ctx, k));
  return read;
}

/** A bundle's signature by one key, checked. */
export interface SignatureCheck {
  /** The key's fingerprint (hex, as bundles record it). */
  fingerprint: string;
  verified: boolean;
  /** Why not, one line, when not verified. */
  reason?: string;
}

/**
 * The bundle's signature by each of `signers`: RSA-PSS SHA-256 over the header, the wrapped keys
 * and the payload (docs/FORMAT.md), so one pass over the payload per signer. `b` undefined: a
 * legacy bundle, which carries none.
 */
export async function checkSigners(ctx: Context, b: OpenedBundle | undefined, signers: readonly RsaPublicKey[]): Promise<SignatureCheck[]> {
  const checks: SignatureCheck[] = [];
  for (const key of signers) {
    const fingerprint = key.fingerprint;
    const signature = b?.signatures[b.header.signers.indexOf(fingerprint)];
    if (b === undefined) checks.push({ fingerprint, verified: false, reason: "legacy bundles carry no signatures" });
    else if (signature === undefined) checks.push({ fingerprint, verified: false, reason: "the bundle has no signature by this key" });
    else {
      const v = await checkSignature(ctx, authenticated(b), key, signature, ["pss"]);
      checks.push(v.ok ? { fingerprint, verified: true } : { fingerprint, verified: false, reason: v.reason });
    }
  }
  return checks;
}

/** Refuses a bundle any of `signers` did not sign (a SignatureError naming the first such key). */
export async function requireSigners(ctx: Context, b: OpenedBundle | undefined, signers: readonly RsaPublicKey[]): Promise<void> {
  const failed = (await checkSigners(ctx, b, signers)).find((c) => !c.verified);
  if (failed !== undefined) throw new SignatureError(`not signed by SHA256:${failed.fingerprint}: ${failed.reason ?? "not verified"}`, failed.fingerprint);
}
