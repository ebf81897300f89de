/**
 * Legacy bundles made the way PsychoPy's opensslwrap (2012-2013) and pyFileSec 0.2.x (2013-2014)
 * made them, with the host's `openssl` (3.0.x, a referee independent of the wasm engine) and GNU
 * `tar czf`, each in its own temporary folder removed afterwards.
 * docs/LEGACY.md describes both layouts.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes, randomInt } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type KdfDigest = "md5" | "sha256";

export interface HostKeyPair {
  /** Private key, PEM (PKCS#8; traditional "BEGIN RSA PRIVATE KEY" when asked). */
  priv: Uint8Array;
  /** Public key, PEM SubjectPublicKeyInfo. */
  pub: Uint8Array;
  passphrase?: string;
}

export interface LegacyFixture {
  /** The `.enc` file: gzip-compressed tar. */
  bundle: Uint8Array;
  /** The members as put in the archive (after any tampering), by name, in archive order. */
  members: Map<string, Uint8Array>;
  /** The one-time password the data was encrypted with. */
  password: string;
  /** The meta member text ("" when there is none). */
  metaText: string;
}

/** Recorded versions: one per key-derivation era. */
export const VERSION_MD5 = "OpenSSL 0.9.8r 8 Feb 2011";
export const VERSION_MD5_WIN = "OpenSSL 1.0.1 14 Mar 2012";
export const VERSION_SHA256 = "OpenSSL 1.1.1k  25 Mar 2021";

const sha256 = (b: Uint8Array | string): string => createHash("sha256").update(b).digest("hex");

function inTemp<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "opensslwrap-legacy-"));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a host command in `cwd`; OpenSSL 3's deprecation warnings on stderr are not failures. */
function run(cmd: string, args: readonly string[], cwd: string, input?: Uint8Array | string): void {
  execFileSync(cmd, args, { cwd, input: input ?? "", stdio: ["pipe", "pipe", "pipe"], maxBuffer: 1 << 28 });
}

const readBytes = (path: string): Uint8Array => new Uint8Array(readFileSync(path));

/**
 * An RSA key pair from the host openssl. With a passphrase the private key is encrypted:
 * PKCS#8 (`genpkey -aes-256-cbc`), or the traditional PEM of `genrsa -aes256` when `traditional`.
 */
export function hostKeyPair(bits: number, passphrase?: string, traditional = false): HostKeyPair {
  return inTemp((dir) => {
    const enc = passphrase === undefined ? [] : ["-aes-256-cbc", "-pass", `pass:${passphrase}`];
    run("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", `rsa_keygen_bits:${bits}`, "-out", "priv.pem", ...enc], dir);
    const passin = passphrase === undefined ? [] : ["-passin", `pass:${passphrase}`];
    run("openssl", ["pkey", "-in", "priv.pem", ...passin, "-pubout", "-out", "pub.pem"], dir);
    if (traditional) {
      const passout = passphrase === undefined ? [] : ["-aes256", "-passout", `pass:${passphrase}`];
      run("openssl", ["rsa", "-in", "priv.pem", ...passin, "-traditional", ...passout, "-out", "trad.pem"], dir);
    }
    return { priv: readBytes(join(dir, traditional ? "trad.pem" : "priv.pem")), pub: readBytes(join(dir, "pub.pem")), ...(passphrase === undefined ? {} : { passphrase }) };
  });
}

/** `tar czf data.enc <members...>` (GNU tar, as the original tools' `tarfile` "w:gz" did). */
export function tarGz(members: ReadonlyMap<string, Uint8Array>): Uint8Array {
  return inTemp((dir) => {
    for (const [name, bytes] of members) writeFileSync(join(dir, name), bytes);
    run("tar", ["czf", "data.enc", ...members.keys()], dir);
    return readBytes(join(dir, "data.enc"));
  });
}

/** opensslwrap 2012's one-time password: 65 characters of [0-9A-Za-z+_]. */
export function opensslwrapPassword(): string {
  const chars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+_";
  return Array.from({ length: 65 }, () => chars[randomInt(chars.length)]).join("");
}

/** pyFileSec's password: '#' + 64 hex digits (256 random bits); early 0.1.x versions had no '#'. */
export function pyFileSecPassword(early = false): string {
  return (early ? "" : "#") + randomBytes(32).toString("hex");
}

/** pyFileSec's length padding: NUL bytes, `pad=` + 10 digits + NUL + `pyFileSec_padded` + NUL, to `size` bytes in all. */
export function pyFileSecPad(plaintext: Uint8Array, size: number): Uint8Array {
  const tail = 4 + 10 + 1 + 16 + 1;
  const needed = Math.max(0, size - plaintext.length - tail);
  const trailer = new TextEncoder().encode(`pad=${String(needed + tail).padStart(10, "0")}\0pyFileSec_padded\0`);
  const out = new Uint8Array(plaintext.length + needed + tail);
  out.set(plaintext, 0);
  out.set(trailer, plaintext.length + needed);
  return out;
}

interface EncryptedParts {
  data: Uint8Array;
  wrapped: Uint8Array;
}

/**
 * `openssl enc -e -aes-256-cbc -a -salt` with the password from a file (2012, no trailing newline)
 * or on stdin (pyFileSec), and the password wrapped with RSA-OAEP (default SHA-1) for `pub`.
 */
function encryptParts(plaintext: Uint8Array, password: string, pub: Uint8Array, md: KdfDigest, passVia: "file" | "stdin"): EncryptedParts {
  return inTemp((dir) => {
    writeFileSync(join(dir, "data.txt"), plaintext);
    writeFileSync(join(dir, "pwd"), password);
    writeFileSync(join(dir, "pub.pem"), pub);
    const pass = passVia === "file" ? ["-pass", "file:pwd"] : ["-pass", "stdin"];
    run("openssl", ["enc", "-e", "-aes-256-cbc", "-a", "-salt", "-in", "data.txt", "-out", "data.aes256", ...pass, "-md", md], dir, passVia === "stdin" ? password : undefined);
    run("openssl", ["pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-pkeyopt", "rsa_padding_mode:oaep", "-in", "pwd", "-out", "pwd.rsa"], dir);
    return { data: readBytes(join(dir, "data.aes256")), wrapped: readBytes(join(dir, "pwd.rsa")) };
  });
}

export interface Meta2012Block {
  path: string;
  sha256: string;
  opensslVersion: string;
  date: string;
  pub: Uint8Array;
}

/** One meta-data block as opensslwrap 2012 wrote it (lines joined with "\n", no final newline). */
export function meta2012Block(b: Meta2012Block): string {
  const pubLine = new TextDecoder().decode(b.pub).split("\n")[1] ?? "";
  return [
    `orig file path: ${b.path}`,
    `HMAC-sha256 of encrypted file: ${b.sha256}`,
    `public key (first 20): ${pubLine.slice(0, 20)}`,
    "encryption: opensslwrap._encrypt_rsa_aes256cbc",
    "RSA padding: -oaep",
    `encrypted on date: ${b.date}`,
    `openssl version: ${b.opensslVersion}`,
    "platform: darwin 10.6.8 i386",
    `--- end of meta-data ${b.date} ---`,
  ].join("\n");
}

export interface Bundle2012Options {
  plaintext: Uint8Array;
  pub: Uint8Array;
  md: KdfDigest;
  /** Original file name (default data.txt). */
  name?: string;
  /** "full" (default), "none" (no meta member) or "rotated" (an older block, then the current one). */
  meta?: "full" | "none" | "rotated";
  /** Recorded version; default by `md`. `null`: the line is left out. */
  opensslVersion?: string | null;
  /** Name of the wrapped-password member (default `<name>.aes256pwd.rsa`). */
  pwdMember?: string;
  /** Changes members before they are archived (e.g. to tamper with the data). */
  tamper?: (members: Map<string, Uint8Array>) => void;
}

/** A PsychoPy opensslwrap (2012-2013) bundle. */
export function make2012Bundle(o: Bundle2012Options): LegacyFixture {
  const name = o.name ?? "data.txt";
  const password = opensslwrapPassword();
  const { data, wrapped } = encryptParts(o.plaintext, password, o.pub, o.md, "file");
  const version = o.opensslVersion === undefined ? (o.md === "md5" ? VERSION_MD5 : VERSION_SHA256) : o.opensslVersion;
  const current = meta2012Block({ path: `/Users/lab/exp1/${name}`, sha256: sha256(data), opensslVersion: version ?? "", date: "2013_Mar_02_0930", pub: o.pub });
  const block = version === null ? current.replace(/^openssl version: .*\n/m, "") : current;
  let metaText = "";
  if (o.meta === "rotated") {
    // The earlier encryption: other key, other ciphertext hash, 2012 OpenSSL; then rotate()'s marker.
    const old = meta2012Block({ path: `/Users/lab/old/${name}`, sha256: sha256("older ciphertext"), opensslVersion: VERSION_MD5, date: "2012_Apr_25_1144", pub: o.pub });
    metaText = `${old}\n\n--- key rotation: ---\n${block}`;
  } else if (o.meta !== "none") {
    metaText = block;
  }
  const members = new Map<string, Uint8Array>([
    [`${name}.aes256`, data],
    [o.pwdMember ?? `${name}.aes256pwd.rsa`, wrapped],
  ]);
  if (metaText !== "") members.set(`${name}.meta`, new TextEncoder().encode(metaText));
  o.tamper?.(members);
  return { bundle: tarGz(members), members, password, metaText };
}

/** Python's `json.dump` layout (", " and ": " separators) for string/boolean/object values. */
export function pythonJson(value: unknown): string {
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`)
      .join(", ")}}`;
  }
  return JSON.stringify(value);
}

export interface PyFileSecOptions {
  plaintext: Uint8Array;
  pub: Uint8Array;
  md: KdfDigest;
  name?: string;
  /** "full" (default), "suppressed" (`{"meta-data (date-time suppressed)": {"meta-data": false}}`), "none", or "rotated" (two entries, newest first in the text). */
  meta?: "full" | "suppressed" | "none" | "rotated";
  /** Recorded version; default by `md`. `null`: the field is left out. */
  opensslVersion?: string | null;
  /** Pad the plaintext to this many bytes before encryption (pyFileSec `pad()`). */
  padTo?: number;
  /** A 0.1.x password: 64 hex digits without '#'. */
  early?: boolean;
  tamper?: (members: Map<string, Uint8Array>) => void;
}

/** The meta-data entry pyFileSec made for one encryption. */
function pyFileSecEntry(name: string, data: Uint8Array, pub: Uint8Array, time: string, version: string | null): Record<string, string> {
  const entry: Record<string, string> = {
    clear_text: `/home/lab/exp1/${name}`,
    "hash of cipher_text": sha256(data),
    "hmac (enc-then-mac)": `HMAC-SHA256(${name}.aes256)= ${sha256(`key${sha256(data)}`)}`,
    "hash of public key": sha256(pub),
    "encryption method": "pyFileSec._encrypt_rsa_aes256cbc",
    "hash of pyFileSec": sha256("pyfilesec.py"),
    "rsa padding": "-oaep",
    "encrypted at localtime Y_M_D_H:m.s.ms": time,
  };
  if (version !== null) entry.openssl = version;
  entry.platform = "linux2";
  entry.python = "2.7.5";
  return entry;
}

/** A pyFileSec 0.2.x bundle. */
export function makePyFileSecBundle(o: PyFileSecOptions): LegacyFixture {
  const name = o.name ?? "data.txt";
  const password = pyFileSecPassword(o.early);
  const plaintext = o.padTo === undefined ? o.plaintext : pyFileSecPad(o.plaintext, o.padTo);
  const { data, wrapped } = encryptParts(plaintext, password, o.pub, o.md, "stdin");
  const version = o.opensslVersion === undefined ? (o.md === "md5" ? VERSION_MD5_WIN : VERSION_SHA256) : o.opensslVersion;
  const time = "2014_01_17_10:42.07.123";
  let metaText = "";
  if (o.meta === "suppressed") {
    metaText = pythonJson({ "meta-data (date-time suppressed)": { "meta-data": false } });
  } else if (o.meta === "rotated") {
    const older = pyFileSecEntry(name, new TextEncoder().encode("older ciphertext"), o.pub, "2013_11_05_16:01.33.456", VERSION_MD5);
    // Newest first in the text: a Python 2 dict has no order, pyFileSec sorts the keys.
    metaText = pythonJson({ [`meta-data ${time}`]: pyFileSecEntry(name, data, o.pub, time, version), "meta-data 2013_11_05_16:01.33.456": older });
  } else if (o.meta !== "none") {
    metaText = pythonJson({ [`meta-data ${time}`]: pyFileSecEntry(name, data, o.pub, time, version) });
  }
  const members = new Map<string, Uint8Array>([
    [`${name}.aes256`, data],
    [`${name}.aes256.pwdrsa`, wrapped],
  ]);
  if (metaText !== "") members.set(`${name}.meta`, new TextEncoder().encode(metaText));
  o.tamper?.(members);
  return { bundle: tarGz(members), members, password, metaText };
}

export { sha256 as sha256HexOf };
