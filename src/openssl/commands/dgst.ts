import type { OpenSSL } from "../engine.js";
import { hex } from "../hex.js";
import { withSecrets } from "../secrets.js";
import type { InputFile } from "../run.js";
import type { KeyInput, SignaturePadding } from "./pkeyutl.js";
import { verificationFailure } from "./pkeyutl.js";

const ARGS = ["-binary", "-out", "/out/digest"];

async function dgst(openssl: OpenSSL, args: string[], input: InputFile, files: Record<string, InputFile> = {}): Promise<Uint8Array> {
  const r = await openssl.run(["dgst", ...args, ...ARGS, "/in/data"], { files: { ...files, "/in/data": input }, dirs: ["/out"] });
  return r.files.get("/out/digest") ?? new Uint8Array(0);
}

/** A message digest (`openssl dgst -sha256` and friends), raw bytes. */
export function digest(openssl: OpenSSL, input: InputFile, algorithm = "sha256"): Promise<Uint8Array> {
  return dgst(openssl, [`-${algorithm}`], input);
}

/**
 * HMAC with a binary key, raw bytes. The key travels as hex in the guest's argv: inside this
 * process's memory only, never a host process list.
 */
export function hmac(openssl: OpenSSL, key: Uint8Array, input: InputFile, algorithm = "sha256"): Promise<Uint8Array> {
  return dgst(openssl, [`-${algorithm}`, "-mac", "HMAC", "-macopt", `hexkey:${hex(key)}`], input);
}

/**
 * HMAC-SHA256 of /in/data into /out/data (raw), with the `mac` command: a command line of the
 * engine's batch mode, where `dgst -sha256` cannot run twice (OpenSSL's option parser keeps a
 * digest given as an option from one command to the next, and refuses the second).
 */
export function hmacSha256Argv(key: Uint8Array): string[] {
  return ["mac", "-digest", "SHA256", "-macopt", `hexkey:${hex(key)}`, "-binary", "-in", "/in/data", "-out", "/out/data", "HMAC"];
}

function padding(p: SignaturePadding): string[] {
  return p === "pss" ? ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"] : [];
}

/** `openssl dgst -sha256 -sign`: a signature over a (possibly streamed) file. */
export function dgstSign(openssl: OpenSSL, privateKey: KeyInput, input: InputFile, p: SignaturePadding = "pss"): Promise<Uint8Array> {
  return withSecrets((secrets) => {
    const pass = privateKey.passphrase === undefined ? [] : ["-passin", secrets.pass("passin", privateKey.passphrase)];
    return dgst(openssl, ["-sha256", "-sign", "/keys/key", ...pass, ...padding(p)], input, { ...secrets.files, "/keys/key": privateKey.key });
  });
}

/** `openssl dgst -sha256 -verify`: false when the signature does not verify. */
export async function dgstVerify(openssl: OpenSSL, publicKey: Uint8Array, input: InputFile, signature: Uint8Array, p: SignaturePadding = "pss"): Promise<boolean> {
  const r = await openssl.run(["dgst", "-sha256", "-verify", "/keys/key", "-signature", "/in/sig", ...padding(p), "/in/data"], {
    files: { "/keys/key": publicKey, "/in/sig": signature, "/in/data": input },
  }).catch(verificationFailure);
  return r !== undefined;
}
