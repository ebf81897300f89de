/**
 * A second, independent implementation of the bundle format version 2 writer (docs/FORMAT.md),
 * built from the host's `openssl` and GNU `tar` only: no code of opensslwrap, no Node crypto.
 * Tests hold opensslwrap's reader and scripts/decrypt-with-openssl.sh against what it writes.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ReferenceBundleOptions {
  plaintext: Buffer;
  /** Paths of the recipients' public keys (PEM), 1 to 16, in key-i.oaep order. */
  recipients: string[];
  /** Work folder: the members are written there (any existing file of the same name is replaced). */
  dir: string;
  /** Path of the bundle to write. */
  out: string;
  /** meta.json content; default `{"format":"opensslwrap-bundle","version":2}` (the `--no-meta` form). */
  meta?: object;
  /** Paths of unprotected signer private keys (PEM), 0 to 4, in sig-i.pss order. */
  signers?: string[];
  /**
   * The 64-byte one-time secret and the 16-byte IV, for reproducible vectors (test/vectors/);
   * default: fresh from `openssl rand`, as the format requires of real bundles.
   */
  fixed?: { secret: Uint8Array; iv: Uint8Array };
}

/** `openssl ARGS` with `input` on stdin; throws with openssl's stderr on failure. */
function openssl(args: readonly string[], input: Uint8Array = new Uint8Array(0)): Buffer {
  return execFileSync("openssl", args, { input, maxBuffer: 1 << 30, stdio: ["pipe", "pipe", "pipe"] });
}

/** SHA-256 of `data` as 64 lowercase hex digits (`dgst -r` prints "HEX *stdin" on 1.1.1 and 3.x). */
function sha256Hex(data: Uint8Array): string {
  const h = openssl(["dgst", "-sha256", "-r"], data).toString("latin1").slice(0, 64);
  if (!/^[0-9a-f]{64}$/.test(h)) throw new Error(`unexpected openssl dgst output: ${h}`);
  return h;
}

/** The spec's fingerprint: SHA-256 of the DER SubjectPublicKeyInfo, from a public (or private) PEM key. */
export function referenceFingerprint(keyPath: string, isPrivate = false): string {
  const der = openssl(isPrivate ? ["pkey", "-in", keyPath, "-pubout", "-outform", "DER"] : ["pkey", "-pubin", "-in", keyPath, "-outform", "DER"]);
  return sha256Hex(der);
}

/** Member names of a bundle with `n` recipients and `m` signers, in the spec's order. */
export function memberNames(n: number, m = 0): string[] {
  const keys = Array.from({ length: n }, (_, i) => `key-${i + 1}.oaep`);
  const sigs = Array.from({ length: m }, (_, i) => `sig-${i + 1}.pss`);
  return ["header.txt", ...keys, "payload.bin", "meta.json", "tag.hmac", ...sigs];
}

/**
 * Writes the ustar archive `out` from the files `names` of `dir`, in that order, with the header
 * fields the spec fixes (mode 0600, uid/gid 0, empty owner names, mtime 0). `--blocking-factor=1`:
 * the archive ends right after its two zero blocks, as the spec says, instead of GNU tar's
 * default padding to a 10 KiB record.
 */
export function tarMembers(dir: string, out: string, names: readonly string[]): void {
  execFileSync(
    "tar",
    ["--format=ustar", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0", "--mode=0600", "--blocking-factor=1", "-cf", out, "-C", dir, ...names],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
}

/** Builds a format 2 bundle as docs/FORMAT.md describes it, step by step. */
export function makeReferenceBundle(opts: ReferenceBundleOptions): void {
  const { plaintext, recipients, dir, out } = opts;
  const signers = opts.signers ?? [];
  if (recipients.length < 1 || recipients.length > 16) throw new Error(`1 to 16 recipients, not ${recipients.length}`);
  if (signers.length > 4) throw new Error(`0 to 4 signers, not ${signers.length}`);

  // 64 fresh random bytes: bytes 0-31 the AES-256 key, 32-63 the HMAC key; a fresh 16-byte IV.
  const secret = opts.fixed === undefined ? openssl(["rand", "64"]) : Buffer.from(opts.fixed.secret);
  const iv = opts.fixed === undefined ? openssl(["rand", "-hex", "16"]).toString("latin1").trim() : Buffer.from(opts.fixed.iv).toString("hex");
  if (secret.length !== 64 || !/^[0-9a-f]{32}$/.test(iv)) throw new Error("openssl rand gave an unexpected output");
  const encKey = secret.subarray(0, 32).toString("hex");
  const macKey = secret.subarray(32, 64).toString("hex");

  // AES-256-CTR, no padding: the payload is as long as the plaintext.
  // The plaintext from a file, not stdin: Deno's execFileSync writes all of stdin before it reads
  // stdout, which deadlocks once both pipes are full (the vectors' generator runs under Deno).
  const plainFile = join(dir, "plaintext.in");
  writeFileSync(plainFile, plaintext);
  const payload = openssl(["enc", "-aes-256-ctr", "-K", encKey, "-iv", iv, "-in", plainFile]);
  rmSync(plainFile);
  if (payload.length !== plaintext.length) throw new Error("openssl enc -aes-256-ctr changed the length");

  // The secret wrapped for each recipient: RSA-OAEP, SHA-256, MGF1-SHA-256, no label.
  const wrapped = recipients.map((pub) =>
    openssl(["pkeyutl", "-encrypt", "-pubin", "-inkey", pub, "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256"], secret),
  );

  const meta = Buffer.from(JSON.stringify(opts.meta ?? { format: "opensslwrap-bundle", version: 2 }), "utf8");
  const header = Buffer.from(
    [
      "opensslwrap-bundle 2",
      "cipher aes-256-ctr",
      `iv ${iv}`,
      "mac hmac-sha256",
      `payload-bytes ${String(payload.length).padStart(20, "0")}`,
      `meta-sha256 ${sha256Hex(meta)}`,
      "wrap rsa-oaep-sha256",
      ...recipients.map((pub) => `recipient ${referenceFingerprint(pub)}`),
      ...signers.map((priv) => `signer ${referenceFingerprint(priv, true)} rsa-pss-sha256`),
    ]
      .map((line) => `${line}\n`)
      .join(""),
    "ascii",
  );
  // Every value has a fixed width: the length depends on N and M only.
  if (header.length !== 225 + 75 * recipients.length + 87 * signers.length) throw new Error(`header length ${header.length}`);

  // Encrypt-then-MAC: HMAC-SHA256 over header.txt, key-1..N.oaep in order, then payload.bin.
  const signed = Buffer.concat([header, ...wrapped, payload]);
  const tag = openssl(["dgst", "-sha256", "-mac", "HMAC", "-macopt", `hexkey:${macKey}`, "-binary"], signed);
  if (tag.length !== 32) throw new Error("HMAC tag is not 32 bytes");

  writeFileSync(join(dir, "header.txt"), header);
  wrapped.forEach((w, i) => writeFileSync(join(dir, `key-${i + 1}.oaep`), w));
  writeFileSync(join(dir, "payload.bin"), payload);
  writeFileSync(join(dir, "meta.json"), meta);
  writeFileSync(join(dir, "tag.hmac"), tag);
  // RSA-PSS, SHA-256, MGF1-SHA-256, salt length 32, over the same bytes as the tag.
  signers.forEach((priv, i) => {
    const sig = join(dir, `sig-${i + 1}.pss`);
    openssl(["dgst", "-sha256", "-sign", priv, "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32", "-sigopt", "rsa_mgf1_md:sha256", "-out", sig], signed);
  });

  tarMembers(dir, out, memberNames(recipients.length, signers.length));
}

/** Extracts the bundle `bundle` into `dir` and returns its member names in archive order. */
export function untarBundle(bundle: string, dir: string): string[] {
  execFileSync("tar", ["-xf", bundle, "-C", dir], { stdio: ["ignore", "pipe", "pipe"] });
  return execFileSync("tar", ["-tf", bundle], { encoding: "utf8" }).split("\n").filter((s) => s !== "");
}

/**
 * Rewrites `bundle` into `out` after `edit` changed its extracted members in `dir`: the way to
 * make a damaged bundle whose tar structure is still valid.
 */
export function editBundle(bundle: string, dir: string, out: string, edit: (dir: string) => void): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const names = untarBundle(bundle, dir);
  edit(dir);
  tarMembers(dir, out, names);
}

/** Changes byte `offset` of the file `path` in place by XOR `mask` (default: bit 0). */
export function flipByte(path: string, offset: number, mask = 0x01): void {
  const b = readFileSync(path);
  if (offset < 0 || offset >= b.length) throw new Error(`offset ${offset} outside ${path} (${b.length} bytes)`);
  b.writeUInt8(b.readUInt8(offset) ^ mask, offset);
  writeFileSync(path, b);
}
