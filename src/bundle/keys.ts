import { OpenSSLError, type KeyInput } from "../openssl/index.js";
import { withSecrets } from "../openssl/secrets.js";
import { sha256Hex, type Context } from "./context.js";
import { KeyTooShortError, PassphraseError, PrivateKeyError, PublicKeyError } from "./errors.js";

export const MIN_RSA_BITS = 2048;
/** Below this, encryption works but warns (NIST SP 800-57: 3072 bits for use beyond 2030). */
export const RECOMMENDED_RSA_BITS = 3072;

export interface RsaPublicKey {
  /** SubjectPublicKeyInfo, PEM. */
  pem: Uint8Array;
  /** The same, DER (cheaper for the engine to load, many times in a batch). */
  der: Uint8Array;
  /** SHA-256 of the DER SubjectPublicKeyInfo, lowercase hex. */
  fingerprint: string;
  bits: number;
}

const latin1 = (b: Uint8Array) => new TextDecoder("latin1").decode(b);

function isEncryptedPem(text: string): boolean {
  return text.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----") || text.includes("Proc-Type: 4,ENCRYPTED");
}

/** 1.2.840.113549.1.1.1 (rsaEncryption), as DER: the algorithm of an ordinary RSA key. */
const RSA_ENCRYPTION_OID = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/** Whether a SubjectPublicKeyInfo's algorithm identifier (in its first bytes) is rsaEncryption. */
function hasRsaEncryptionOid(der: Uint8Array): boolean {
  const head = der.subarray(0, 32);
  return head.some((_, i) => RSA_ENCRYPTION_OID.every((b, j) => head[i + j] === b));
}

/** DER public key → PEM, fingerprint and size; refuses non-RSA and short keys. */
async function describe(ctx: Context, der: Uint8Array, fail: (msg: string) => Error): Promise<RsaPublicKey> {
  // Both commands in one engine run (our build's batch mode): the text, and the PEM form.
  const commands = ["pkey -pubin -inform DER -in /k.der -text -noout", "pkey -pubin -inform DER -in /k.der -out /k.pem"];
  const r = await ctx.openssl.run(["-opensslwrap-batch"], { files: { "/k.der": der }, stdin: new TextEncoder().encode(`${commands.join("\n")}\n`) });
  const text = latin1(r.stdout);
  const bits = /^Public-Key: \((\d+) bit\)/m.exec(text);
  if (bits === null || !text.includes("Modulus:")) {
    const kind = /^(\S+) Public-Key/m.exec(text)?.[1] ?? (text.includes("ASN1 OID") ? "EC" : "non-RSA");
    throw fail(`${kind} key given: opensslwrap needs an RSA key`);
  }
  // RSA-PSS-only keys print the same text but cannot do OAEP: require the rsaEncryption OID.
  if (!hasRsaEncryptionOid(der)) throw fail("RSA-PSS-only key given: opensslwrap needs a plain RSA (rsaEncryption) key");
  const size = Number(bits[1]);
  if (size < MIN_RSA_BITS) throw new KeyTooShortError(size);
  const pem = r.files.get("/k.pem");
  if (pem === undefined || pem.length === 0) throw fail("the engine could not write the key as PEM");
  return { pem, der, fingerprint: await sha256Hex(ctx, der), bits: size };
}

/** Reads an RSA public key (PEM or DER SubjectPublicKeyInfo, or PKCS#1 RSA PUBLIC KEY). */
export async function readPublicKey(ctx: Context, key: Uint8Array): Promise<RsaPublicKey> {
  const text = latin1(key);
  if (text.includes("PRIVATE KEY-----")) throw new PublicKeyError("a private key was given where a public key is expected (use the .pub.pem file)");
  if (text.includes("-----BEGIN CERTIFICATE-----")) throw new PublicKeyError("a certificate was given where a public key is expected (extract it: openssl x509 -pubkey -noout)");
  let der: Uint8Array;
  try {
    der = (await ctx.openssl.run(["pkey", "-pubin", "-in", "/k", "-outform", "DER", "-out", "/k.der"], { files: { "/k": key } })).files.get("/k.der") ?? new Uint8Array(0);
  } catch (e) {
    if (!(e instanceof OpenSSLError)) throw e;
    throw new PublicKeyError("not a public key (expected a PEM 'PUBLIC KEY')");
  }
  return describe(ctx, der, (m) => new PublicKeyError(m));
}

/** Checks a private key (and its passphrase) and returns its public half. */
export async function readPrivateKey(ctx: Context, key: KeyInput): Promise<RsaPublicKey> {
  const text = latin1(key.key);
  if (/-----BEGIN (RSA )?PUBLIC KEY-----/.test(text)) throw new PrivateKeyError("a public key was given where a private key is needed");
  if (text.includes("-----BEGIN CERTIFICATE-----")) throw new PrivateKeyError("a certificate was given where a private key is needed");
  if (isEncryptedPem(text) && key.passphrase === undefined) throw new PassphraseError("the private key is passphrase-protected: a passphrase is needed");
  const der = await withSecrets(async (s) => {
    const args = ["pkey", "-in", "/k", "-pubout", "-outform", "DER", "-out", "/k.der", "-passin", key.passphrase === undefined ? "pass:" : s.pass("passin", key.passphrase)];
    try {
      return (await ctx.openssl.run(args, { files: { ...s.files, "/k": key.key } })).files.get("/k.der") ?? new Uint8Array(0);
    } catch (e) {
      if (!(e instanceof OpenSSLError)) throw e;
      if (/bad decrypt|wrong password/.test(e.stderr)) throw new PassphraseError("wrong passphrase for the private key");
      if (isEncryptedPem(text)) throw new PassphraseError("cannot open the protected private key: wrong passphrase, or a damaged key file");
      throw new PrivateKeyError("not a private key (expected a PEM 'PRIVATE KEY')");
    }
  });
  return describe(ctx, der, (m) => new PrivateKeyError(m));
}
