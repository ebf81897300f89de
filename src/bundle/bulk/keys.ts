/**
 * The three secrets of a payload, typed apart: an HMAC key passed where the AES key belongs (they
 * are both 32 bytes) is a compile error, not a bundle that nobody can open.
 */

declare const role: unique symbol;
type Typed<R extends string> = Uint8Array & { readonly [role]: R };

export type AesKey = Typed<"aes-256 key">;
export type MacKey = Typed<"hmac-sha256 key">;
/** The first counter block of AES-256-CTR (docs/FORMAT.md: the IV). */
export type CtrIv = Typed<"ctr iv">;

export interface PayloadKeys {
  readonly cipher: AesKey;
  readonly iv: CtrIv;
  readonly mac: MacKey;
}

/** 32 bytes of AES key, then 32 of HMAC key: the one-time secret that is wrapped for each recipient. */
export const SECRET_BYTES = 64;
export const IV_BYTES = 16;

/**
 * The payload keys in a one-time secret, as views of it (zeroing the secret zeroes them), and the
 * bundle's IV.
 */
export function payloadKeys(secret: Uint8Array, iv: Uint8Array): PayloadKeys {
  if (secret.length !== SECRET_BYTES) throw new RangeError(`a one-time secret is ${SECRET_BYTES} bytes`);
  if (iv.length !== IV_BYTES) throw new RangeError(`an IV is ${IV_BYTES} bytes`);
  return { cipher: secret.subarray(0, 32) as AesKey, mac: secret.subarray(32) as MacKey, iv: iv as CtrIv };
}
