import type { OpenSSL } from "../engine.js";
import { withSecrets } from "../secrets.js";
import type { KeyInput } from "./pkeyutl.js";

/** `openssl rand`: n random bytes from the engine's DRBG (seeded by the host's getRandomValues). */
export async function rand(openssl: OpenSSL, n: number): Promise<Uint8Array> {
  const r = await openssl.run(["rand", "-out", "/out/rand", String(n)], { dirs: ["/out"] });
  return r.files.get("/out/rand") ?? new Uint8Array(0);
}

/** Legacy `openssl rsautl -decrypt` (OAEP with SHA-1 or PKCS#1 v1.5), as 2012-era bundles need. */
export function rsautlDecrypt(openssl: OpenSSL, privateKey: KeyInput, data: Uint8Array, padding: "oaep" | "pkcs" = "oaep"): Promise<Uint8Array> {
  return withSecrets(async (s) => {
    const args = ["rsautl", "-decrypt", `-${padding}`, "-inkey", "/keys/key", "-in", "/in/data", "-out", "/out/data"];
    if (privateKey.passphrase !== undefined) args.push("-passin", s.pass("passin", privateKey.passphrase));
    const r = await openssl.run(args, { files: { ...s.files, "/keys/key": privateKey.key, "/in/data": data }, dirs: ["/out"] });
    return r.files.get("/out/data") ?? new Uint8Array(0);
  });
}

/** Legacy `openssl rsautl -encrypt` with a public key. */
export async function rsautlEncrypt(openssl: OpenSSL, publicKey: Uint8Array, data: Uint8Array, padding: "oaep" | "pkcs" = "oaep"): Promise<Uint8Array> {
  const r = await openssl.run(["rsautl", "-encrypt", `-${padding}`, "-pubin", "-inkey", "/keys/key", "-in", "/in/data", "-out", "/out/data"], {
    files: { "/keys/key": publicKey, "/in/data": data },
    dirs: ["/out"],
  });
  return r.files.get("/out/data") ?? new Uint8Array(0);
}
