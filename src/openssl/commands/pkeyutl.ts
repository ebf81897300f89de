import { withSecrets } from "../secrets.js";
import { OpenSSLError } from "../errors.js";
import type { OpenSSL } from "../engine.js";

export type OaepDigest = "sha1" | "sha256";

export interface KeyInput {
  /** PEM (or DER) key bytes. */
  key: Uint8Array;
  /** Passphrase of an encrypted private key. */
  passphrase?: Uint8Array | string;
}

function oaep(digest: OaepDigest): string[] {
  return ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", `rsa_oaep_md:${digest}`, "-pkeyopt", `rsa_mgf1_md:${digest}`];
}

async function pkeyutl(openssl: OpenSSL, op: string[], key: KeyInput, pub: boolean, input: Uint8Array, extra: string[]) {
  return withSecrets(async (secrets) => {
    const args = ["pkeyutl", ...op, "-inkey", "/keys/key", ...(pub ? ["-pubin"] : []), "-in", "/in/data", "-out", "/out/data", ...extra];
    if (key.passphrase !== undefined) args.push("-passin", secrets.pass("passin", key.passphrase));
    const r = await openssl.run(args, { files: { ...secrets.files, "/keys/key": key.key, "/in/data": input }, dirs: ["/out"] });
    return r.files.get("/out/data") ?? new Uint8Array(0);
  });
}

/** RSA-OAEP encryption with a public key (MGF1 uses the same digest). */
export function oaepEncrypt(openssl: OpenSSL, publicKey: Uint8Array, data: Uint8Array, digest: OaepDigest = "sha256"): Promise<Uint8Array> {
  return pkeyutl(openssl, ["-encrypt"], { key: publicKey }, true, data, oaep(digest));
}

/**
 * RSA-OAEP encryption of each of `inputs` (all of one length) for each of `publicKeys` (DER
 * SubjectPublicKeyInfo), all in one engine run: one `pkeyutl -opensslwrap-each` per key (our
 * build's options: the key decoded and the context set up once per key, then each input
 * encrypted on its own), run by `openssl -opensslwrap-batch`. Returns `wrapped[input][key]`.
 */
export async function oaepEncryptMany(openssl: OpenSSL, publicKeys: readonly Uint8Array[], inputs: readonly Uint8Array[], digest: OaepDigest = "sha256"): Promise<Uint8Array[][]> {
  const each = inputs[0]?.length ?? 0;
  if (each === 0 || inputs.some((d) => d.length !== each)) throw new RangeError("oaepEncryptMany: inputs must be non-empty and of one length");
  const all = new Uint8Array(each * inputs.length);
  inputs.forEach((d, i) => all.set(d, i * each));
  const files: Record<string, Uint8Array> = { "/in/all": all };
  publicKeys.forEach((k, j) => (files[`/keys/${j}`] = k));
  const lines = publicKeys.map((_k, j) => ["pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", `/keys/${j}`, "-in", "/in/all", "-out", `/out/${j}`, "-opensslwrap-each", String(each), ...oaep(digest)].join(" "));
  try {
    const r = await openssl.run(["-opensslwrap-batch"], { files, dirs: ["/out"], stdin: new TextEncoder().encode(`${lines.join("\n")}\n`) });
    const outputs = publicKeys.map((_k, j) => {
      const w = r.files.get(`/out/${j}`);
      if (w === undefined || w.length === 0 || w.length % inputs.length !== 0) throw new OpenSSLError("pkeyutl", 1, r.stderr, "");
      return w;
    });
    return inputs.map((_, i) =>
      outputs.map((w) => {
        const size = w.length / inputs.length;
        return w.slice(i * size, (i + 1) * size);
      }),
    );
  } finally {
    all.fill(0);
  }
}

/** RSA-OAEP decryption with a private key. */
export function oaepDecrypt(openssl: OpenSSL, privateKey: KeyInput, data: Uint8Array, digest: OaepDigest = "sha256"): Promise<Uint8Array> {
  return pkeyutl(openssl, ["-decrypt"], privateKey, false, data, oaep(digest));
}

export type SignaturePadding = "pss" | "pkcs1";

function padding(p: SignaturePadding): string[] {
  // PSS salt = digest length, the interoperable choice (RFC 8017 recommends it).
  return p === "pss" ? ["-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:digest"] : ["-pkeyopt", "rsa_padding_mode:pkcs1"];
}

/** Signs a message (hashing it with SHA-256 inside OpenSSL: `-rawin -digest sha256`). */
export function pkeySign(openssl: OpenSSL, privateKey: KeyInput, message: Uint8Array, p: SignaturePadding = "pss"): Promise<Uint8Array> {
  return pkeyutl(openssl, ["-sign", "-rawin", "-digest", "sha256"], privateKey, false, message, padding(p));
}

/** Verifies a signature over a message; false when it does not verify. */
export async function pkeyVerify(openssl: OpenSSL, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, p: SignaturePadding = "pss"): Promise<boolean> {
  const r = await openssl.run(
    ["pkeyutl", "-verify", "-rawin", "-digest", "sha256", "-pubin", "-inkey", "/keys/key", "-in", "/in/data", "-sigfile", "/in/sig", ...padding(p)],
    { files: { "/keys/key": publicKey, "/in/data": message, "/in/sig": signature } },
  ).catch(verificationFailure);
  return r !== undefined;
}

/**
 * `openssl dgst/pkeyutl -verify` exit 1 and print "Verification failure" (on stdout) when a
 * signature does not verify: that is an answer, not an error.
 */
export function verificationFailure(e: unknown): undefined {
  if (e instanceof OpenSSLError && e.exitCode === 1 && /verification failure/i.test(e.stdout)) return undefined;
  throw e;
}
