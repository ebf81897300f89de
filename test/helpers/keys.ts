import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface TestKey {
  priv: string;
  pub: string;
  privPem: Buffer;
  pubPem: Buffer;
}

/** An RSA key pair made by the host openssl (fast, and independent of the engine under test). */
export function hostKey(dir: string, name: string, bits = 2048, passphrase?: string): TestKey {
  const priv = path.join(dir, `${name}.priv.pem`);
  const pub = path.join(dir, `${name}.pub.pem`);
  const protect = passphrase === undefined ? [] : ["-aes-256-cbc", "-pass", `pass:${passphrase}`];
  execFileSync("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", `rsa_keygen_bits:${bits}`, "-out", priv, ...protect], { stdio: "ignore" });
  fs.chmodSync(priv, 0o600);
  const passin = passphrase === undefined ? [] : ["-passin", `pass:${passphrase}`];
  execFileSync("openssl", ["pkey", "-in", priv, "-pubout", "-out", pub, ...passin]);
  return { priv, pub, privPem: fs.readFileSync(priv), pubPem: fs.readFileSync(pub) };
}
