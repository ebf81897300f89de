import { KeyTooShortError, PublicKeyError } from "../bundle/errors.js";
import { hex } from "../openssl/hex.js";

/**
 * The lab's public keys for the light encryptor: PEM SubjectPublicKeyInfo ("PUBLIC KEY") only,
 * read with a small DER walk (for one-line reasons: a private key, a certificate, an EC key, a
 * short key) and then by Web Crypto, which checks the key itself.
 */

/** Same floor as the engine's (src/bundle/keys.ts): no RSA key under 2048 bits. */
const MIN_RSA_BITS = 2048;

export interface UploadRecipient {
  key: CryptoKey;
  /** SHA-256 of the DER SubjectPublicKeyInfo, lowercase hex (as the engine computes it). */
  fingerprint: string;
  bits: number;
}

/** Algorithm identifiers (OID content bytes, hex) of keys people mistake for RSA ones. */
const OTHER_KINDS: Record<string, string> = {
  "2a8648ce3d0201": "EC",
  "2b656e": "X25519",
  "2b656f": "X448",
  "2b6570": "ED25519",
  "2b6571": "ED448",
  "2a8648ce380401": "DSA",
  "2a864886f70d010301": "DH",
};
const RSA_ENCRYPTION = "2a864886f70d010101";
const RSA_PSS = "2a864886f70d01010a";

const damaged = () => new PublicKeyError("not a public key (its PEM 'PUBLIC KEY' block is damaged)");

/** One DER element at `at`: its tag and where its content starts and ends (within `limit`). */
function element(der: Uint8Array, at: number, limit: number, tag: number): { start: number; end: number } {
  let length = der[at + 1];
  let start = at + 2;
  if (der[at] !== tag || length === undefined) throw damaged();
  if (length > 0x80 && length <= 0x83) {
    const digits = length - 0x80;
    length = 0;
    for (let i = 0; i < digits; i++) length = length * 256 + (der[start++] ?? NaN);
  } else if (length >= 0x80) throw damaged();
  const end = start + length;
  if (!(end <= limit)) throw damaged();
  return { start, end };
}

/** Refuses anything but a plain RSA key (rsaEncryption) and returns its modulus length in bits. */
function rsaModulusBits(der: Uint8Array): number {
  const SEQUENCE = 0x30;
  const spki = element(der, 0, der.length, SEQUENCE);
  if (spki.end !== der.length) throw damaged();
  const algorithm = element(der, spki.start, spki.end, SEQUENCE);
  const oid = element(der, algorithm.start, algorithm.end, 0x06);
  const id = hex(der.subarray(oid.start, oid.end));
  if (id === RSA_PSS) throw new PublicKeyError("RSA-PSS-only key given: opensslwrap needs a plain RSA (rsaEncryption) key");
  if (id !== RSA_ENCRYPTION) throw new PublicKeyError(`${OTHER_KINDS[id] ?? "non-RSA"} key given: opensslwrap needs an RSA key`);
  const bitString = element(der, algorithm.end, spki.end, 0x03);
  const rsaKey = element(der, bitString.start + 1, bitString.end, SEQUENCE);
  const modulus = element(der, rsaKey.start, rsaKey.end, 0x02);
  let first = modulus.start;
  while (first < modulus.end && der[first] === 0) first++;
  const top = der[first];
  return top === undefined ? 0 : (modulus.end - first - 1) * 8 + (32 - Math.clz32(top));
}

/** The DER inside the single "PUBLIC KEY" block of a PEM text. */
function pemBody(pem: string | Uint8Array): Uint8Array<ArrayBuffer> {
  const text = typeof pem === "string" ? pem : new TextDecoder("latin1").decode(pem);
  if (text.includes("PRIVATE KEY-----")) throw new PublicKeyError("a private key was given where a public key is expected (use the .pub.pem file)");
  if (text.includes("-----BEGIN CERTIFICATE-----")) throw new PublicKeyError("a certificate was given where a public key is expected (extract it: openssl x509 -pubkey -noout)");
  if (text.includes("-----BEGIN RSA PUBLIC KEY-----")) throw new PublicKeyError("a PKCS#1 'RSA PUBLIC KEY' was given: convert it to a 'PUBLIC KEY' (openssl rsa -RSAPublicKey_in -in KEY -pubout)");
  const blocks = [...text.matchAll(/-----BEGIN PUBLIC KEY-----([^-]*)-----END PUBLIC KEY-----/g)];
  if (blocks.length > 1) throw new PublicKeyError("more than one key in one PEM text: give each key as its own entry of publicKeys");
  const base64 = blocks[0]?.[1]?.replace(/\s+/g, "");
  if (base64 === undefined) throw new PublicKeyError("not a public key (expected a PEM 'PUBLIC KEY')");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw damaged();
  try {
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  } catch {
    throw damaged();
  }
}

/** Reads one recipient's public key (PEM SubjectPublicKeyInfo) for RSA-OAEP-SHA256 wrapping. */
export async function readRecipient(pem: string | Uint8Array): Promise<UploadRecipient> {
  const der = pemBody(pem);
  const bits = rsaModulusBits(der);
  if (bits < MIN_RSA_BITS) throw new KeyTooShortError(bits);
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("spki", der, { name: "RSA-OAEP", hash: "SHA-256" }, true, ["encrypt"]);
  } catch {
    throw new PublicKeyError("not a usable RSA public key (Web Crypto refused it)");
  }
  // The fingerprint is over the key as re-encoded (DER is canonical), as the engine's is.
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", key));
  return { key, fingerprint: hex(new Uint8Array(await crypto.subtle.digest("SHA-256", spki))), bits };
}
