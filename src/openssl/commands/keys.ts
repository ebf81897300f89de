import { withSecrets, type Secrets } from "../secrets.js";
import type { OpenSSL } from "../engine.js";
import type { KeyInput } from "./pkeyutl.js";

export interface GenerateOptions {
  bits: number;
  /** Encrypts the private key (PKCS#8, AES-256-CBC) with this passphrase. */
  passphrase?: Uint8Array | string;
}

/** Arguments that encrypt the output key with AES-256-CBC under `passphrase` (none without one). */
function encryptOutput(secrets: Secrets, passphrase: Uint8Array | string | undefined, passFlag: "-pass" | "-passout"): string[] {
  return passphrase === undefined ? [] : ["-aes-256-cbc", passFlag, secrets.pass("passout", passphrase)];
}

async function keyOut(openssl: OpenSSL, args: string[], secrets: Secrets, files: Record<string, Uint8Array> = {}) {
  const r = await openssl.run(args, { files: { ...secrets.files, ...files }, dirs: ["/out"] });
  return r.files.get("/out/key.pem") ?? new Uint8Array(0);
}

/** A new RSA private key, PKCS#8 PEM (`openssl genpkey`). */
export function genpkeyRsa(openssl: OpenSSL, o: GenerateOptions): Promise<Uint8Array> {
  return withSecrets((s) =>
    keyOut(openssl, ["genpkey", "-algorithm", "RSA", "-pkeyopt", `rsa_keygen_bits:${o.bits}`, "-out", "/out/key.pem", ...encryptOutput(s, o.passphrase, "-pass")], s),
  );
}

/** A new RSA private key with the older `openssl genrsa` command (also PKCS#8 PEM in OpenSSL 3). */
export function genrsa(openssl: OpenSSL, o: GenerateOptions): Promise<Uint8Array> {
  return withSecrets((s) => keyOut(openssl, ["genrsa", "-out", "/out/key.pem", ...encryptOutput(s, o.passphrase, "-passout"), String(o.bits)], s));
}

export interface KeyToolOptions {
  /** `pkey` (any algorithm) or `rsa` (RSA only). */
  tool?: "pkey" | "rsa";
  /** Input is a public key. */
  pubin?: boolean;
  /** Output the public key. */
  pubout?: boolean;
  /** Re-encrypt the output private key with this passphrase (AES-256-CBC). */
  passout?: Uint8Array | string;
}

/** `openssl pkey`/`rsa`: converts a key (public half, re-encryption, decryption of a private key). */
export function convertKey(openssl: OpenSSL, key: KeyInput, o: KeyToolOptions = {}): Promise<Uint8Array> {
  return withSecrets((s) => {
    const args = [o.tool ?? "pkey", "-in", "/keys/key", "-out", "/out/key.pem"];
    if (o.pubin === true) args.push("-pubin");
    if (o.pubout === true) args.push("-pubout");
    if (key.passphrase !== undefined) args.push("-passin", s.pass("passin", key.passphrase));
    args.push(...encryptOutput(s, o.passout, "-passout"));
    return keyOut(openssl, args, s, { "/keys/key": key.key });
  });
}

/** The public key (SubjectPublicKeyInfo PEM) of a private key. */
export function publicKeyOf(openssl: OpenSSL, key: KeyInput): Promise<Uint8Array> {
  return convertKey(openssl, key, { pubout: true });
}

/** `openssl pkey -text -noout`: a human-readable dump of a key. */
export async function keyText(openssl: OpenSSL, key: KeyInput, pubin = false): Promise<string> {
  return withSecrets(async (s) => {
    const args = ["pkey", "-in", "/keys/key", "-text", "-noout", ...(pubin ? ["-pubin"] : [])];
    if (key.passphrase !== undefined) args.push("-passin", s.pass("passin", key.passphrase));
    const r = await openssl.run(args, { files: { ...s.files, "/keys/key": key.key } });
    return new TextDecoder().decode(r.stdout);
  });
}
