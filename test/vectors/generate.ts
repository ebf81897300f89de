/**
 * Makes the committed format vectors in test/vectors/: bundles, keys and manifest.json. Run by
 * hand when a case is added, never by the tests (a format change that shifts every runtime at
 * once must fail against the committed files, not regenerate them):
 *
 *   npx deno run --config test/deno/deno.jsonc -A test/vectors/generate.ts
 *
 * Deno runs the TypeScript sources as they are (the generator itself uses Node APIs only); it
 * needs wasm/openssl.wasm (npm install builds it), the host's openssl and GNU tar.
 *
 * Where the bytes come from:
 * - v2 bundles from test/helpers/v2-reference.ts, the second writer built from the host's openssl
 *   and GNU tar, with one-time secrets and IVs drawn from a fixed pattern per case; and two from
 *   opensslwrap's own writer (`encryptBytes`, `rotateBytes`) under the test-only determinism seam.
 * - Legacy bundles from test/helpers/legacy-fixtures.ts, made with the host's openssl as PsychoPy's
 *   opensslwrap (2012) and pyFileSec 0.2.x made them (docs/LEGACY.md).
 * - Broken cases by damaging valid ones (test/vectors/tamper.ts).
 * - Keys (keys/*.pem) made once by the host's openssl and kept: a rerun reuses them.
 * Expectations are written here by hand from docs/FORMAT.md, not recorded from the library; the
 * run ends by checking every case through the library and fails on any difference.
 *
 * A rerun rewrites every bundle: those made with the host's openssl come out as different bytes
 * (OAEP and PSS draw their own randomness, legacy passwords and salts are random) with the same
 * expectations; the ones from opensslwrap's writer come out identical.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as ow from "../../src/index.js";
import { pattern, utf8 } from "../helpers/data.js";
import { deterministic, nondeterministic } from "../helpers/determinism.js";
import { hostKeyPair, make2012Bundle, makePyFileSecBundle, type LegacyFixture } from "../helpers/legacy-fixtures.js";
import { makeReferenceBundle } from "../helpers/v2-reference.js";
import { checkCase, parseManifest, sha256Hex, type ErrorClassName, type VectorCase } from "./check.js";
import { flipBase64Ciphertext, flipMemberByte, patchTarHeader, rewriteMembers } from "./tamper.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const at = (file: string) => join(HERE, file);
/** The committed files may not grow past this (the 1 MiB case is most of it). */
const BUDGET = 2 << 20;

type KeyName = "alice" | "bob" | "carol" | "psychopy-2012";
const PASSPHRASES: Partial<Record<KeyName, string>> = { bob: "bob's lab passphrase", "psychopy-2012": "old 2012 passphrase" };

/** alice, carol: RSA-2048; bob: RSA-2048 in passphrase-protected PKCS#8; psychopy-2012: RSA-1024 in a protected traditional PEM, as in 2012. */
function ensureKeys(): void {
  mkdirSync(at("keys"), { recursive: true });
  const spec: Record<KeyName, [number, boolean]> = { alice: [2048, false], bob: [2048, false], carol: [2048, false], "psychopy-2012": [1024, true] };
  for (const [name, [bits, traditional]] of Object.entries(spec) as [KeyName, [number, boolean]][]) {
    if (existsSync(at(`keys/${name}.pem`))) continue;
    const pair = hostKeyPair(bits, PASSPHRASES[name], traditional);
    writeFileSync(at(`keys/${name}.pem`), pair.priv, { mode: 0o600 });
    writeFileSync(at(`keys/${name}.pub.pem`), pair.pub);
  }
}

const pub = (k: KeyName) => at(`keys/${k}.pub.pem`);
const pubPem = (k: KeyName) => new Uint8Array(readFileSync(pub(k)));
const priv = (k: KeyName) => new Uint8Array(readFileSync(at(`keys/${k}.pem`)));

const cases: VectorCase[] = [];

async function success(name: string, file: string, key: KeyName, plaintext: Uint8Array, comment: string): Promise<void> {
  const passphrase = PASSPHRASES[key];
  cases.push({ name, file, key: `keys/${key}.pem`, ...(passphrase === undefined ? {} : { passphrase }), expect: "success", size: plaintext.length, sha256: await sha256Hex(plaintext), comment });
}

function failure(name: string, file: string, key: KeyName, expect: ErrorClassName, comment: string, passphrase = PASSPHRASES[key]): void {
  cases.push({ name, file, key: `keys/${key}.pem`, ...(passphrase === undefined ? {} : { passphrase }), expect, comment });
}

/** A small CSV as a testing room writes it. */
const CSV = utf8(Array.from({ length: 40 }, (_, i) => `P${String(7 + (i % 3)).padStart(3, "0")},${i + 1},${(0.4 + ((i * 37) % 50) / 100).toFixed(3)},${i % 2 === 0 ? "left" : "right"}\n`).join(""));

/** A v2 bundle from the reference writer, its secret and IV from the pattern `seed`. */
function reference(file: string, plaintext: Uint8Array, recipients: KeyName[], seed: number, o: { minimalMeta?: boolean; signer?: KeyName } = {}): string {
  const work = mkdtempSync(join(tmpdir(), "osw-vectors-"));
  const fullMeta = { format: "opensslwrap-bundle", version: 2, cipher: "aes-256-ctr", mac: "hmac-sha256", wrap: "rsa-oaep-sha256", file: { size: plaintext.length }, tool: "format vectors (v2 reference writer)" };
  makeReferenceBundle({
    plaintext: Buffer.from(plaintext),
    recipients: recipients.map(pub),
    dir: work,
    out: at(file),
    ...(o.minimalMeta === true ? {} : { meta: fullMeta }),
    ...(o.signer === undefined ? {} : { signers: [at(`keys/${o.signer}.pem`)] }),
    fixed: { secret: pattern(64, seed), iv: pattern(16, seed + 1) },
  });
  rmSync(work, { recursive: true, force: true });
  return at(file);
}

async function validV2(): Promise<void> {
  const sizes: [string, number, string][] = [
    ["v2-empty", 0, "an empty file"],
    ["v2-1-byte", 1, "one byte"],
    ["v2-16-bytes", 16, "exactly one AES block"],
    ["v2-17-bytes", 17, "one byte past a block boundary"],
    ["v2-1mib-plus-3", (1 << 20) + 3, "1 MiB + 3 bytes: many chunks, a partial last block"],
  ];
  for (const [i, [name, size, comment]] of sizes.entries()) {
    const plaintext = pattern(size, 100 + i);
    reference(`${name}.enc`, plaintext, ["alice"], 10 * i + 1);
    await success(name, `${name}.enc`, "alice", plaintext, `${comment}; v2 reference writer`);
  }
  reference("v2-csv.enc", CSV, ["alice"], 61);
  await success("v2-csv", "v2-csv.enc", "alice", CSV, "a small CSV; v2 reference writer; the broken v2 cases are made from it");
  reference("v2-no-meta.enc", CSV, ["alice"], 71, { minimalMeta: true });
  await success("v2-no-meta", "v2-no-meta.enc", "alice", CSV, 'meta.json is only {"format","version"} (--no-meta)');
  reference("v2-two-recipients.enc", CSV, ["alice", "bob"], 81);
  await success("v2-two-recipients-alice", "v2-two-recipients.enc", "alice", CSV, "recipients alice and bob; alice opens it");
  await success("v2-two-recipients-bob", "v2-two-recipients.enc", "bob", CSV, "recipients alice and bob; bob (protected key) opens it");
  reference("v2-signed.enc", CSV, ["bob"], 91, { signer: "alice" });
  await success("v2-signed", "v2-signed.enc", "bob", CSV, "signed by alice (sig-1.pss), for bob");
}

/** Bundles from opensslwrap's own writer, reproducible through the determinism seam. */
async function fromOpensslwrap(): Promise<void> {
  deterministic();
  try {
    const made = await ow.encryptBytes(CSV, { publicKeys: [pubPem("alice")], name: "P007 session 3.csv", note: "format vector" });
    writeFileSync(at("v2-opensslwrap.enc"), made);
    await success("v2-opensslwrap", "v2-opensslwrap.enc", "alice", CSV, "opensslwrap's writer: full meta-data (name, note, dates)");
    deterministic();
    const rotated = await ow.rotateBytes(made, { key: priv("alice") }, { publicKeys: [pubPem("bob")] });
    writeFileSync(at("v2-rotated.enc"), rotated);
    await success("v2-rotated", "v2-rotated.enc", "bob", CSV, "v2-opensslwrap rotated from alice to bob: meta-data with history");
  } finally {
    nondeterministic();
  }
}

function brokenV2(): void {
  const base = at("v2-csv.enc");
  const bytes = new Uint8Array(readFileSync(base));
  const edit = (name: string, expect: ErrorClassName, comment: string, change: (dir: string) => void, order?: (names: string[]) => string[]) => {
    rewriteMembers(base, at(`${name}.enc`), change, order);
    failure(name, `${name}.enc`, "alice", expect, comment);
  };
  const patched = (name: string, expect: ErrorClassName, comment: string, out: Uint8Array) => {
    writeFileSync(at(`${name}.enc`), out);
    failure(name, `${name}.enc`, "alice", expect, comment);
  };
  edit("v2-bad-tag", "IntegrityError", "tag.hmac: one bit flipped", (dir) => flipMemberByte(dir, "tag.hmac", 0));
  edit("v2-payload-flipped", "IntegrityError", "payload.bin: one bit of its last byte flipped", (dir) => flipMemberByte(dir, "payload.bin", -1));
  edit("v2-truncated-payload", "IntegrityError", "payload.bin one byte shorter than the header's payload-bytes (the tar itself is sound)", (dir) => {
    const p = readFileSync(join(dir, "payload.bin"));
    writeFileSync(join(dir, "payload.bin"), p.subarray(0, p.length - 1));
  });
  edit("v2-meta-altered", "IntegrityError", "meta.json changed: its SHA-256 differs from the header's meta-sha256", (dir) => {
    const meta = readFileSync(join(dir, "meta.json"), "utf8");
    writeFileSync(join(dir, "meta.json"), meta.replace('"version":2', '"version":2,"note":"added later"'));
  });
  for (const [version, why] of [
    ["3", "made by a newer opensslwrap"],
    ["1", "no such version"],
  ]) {
    edit(`v2-version-${version}`, "FormatError", `header.txt first line "opensslwrap-bundle ${version}": ${why}`, (dir) => {
      const header = readFileSync(join(dir, "header.txt"), "latin1");
      writeFileSync(join(dir, "header.txt"), header.replace(/^opensslwrap-bundle 2\n/, `opensslwrap-bundle ${version}\n`), "latin1");
    });
  }
  edit(
    "v2-extra-member",
    "FormatError",
    "a sixth member, notes.txt, after tag.hmac",
    (dir) => writeFileSync(join(dir, "notes.txt"), "not part of the format\n"),
    (names) => [...names, "notes.txt"],
  );
  edit(
    "v2-members-out-of-order",
    "FormatError",
    "meta.json before payload.bin",
    () => undefined,
    (names) => {
      const rest = names.filter((n) => n !== "meta.json");
      rest.splice(rest.indexOf("payload.bin"), 0, "meta.json");
      return rest;
    },
  );
  patched("v2-truncated-bundle", "FormatError", "the bundle cut in the middle of payload.bin", bytes.subarray(0, 512 * 5 + 300));
  patched("v2-tar-path-traversal", "FormatError", 'meta.json renamed "../../meta.json" (valid checksum)', patchTarHeader(bytes, "meta.json", { name: "../../meta.json" }));
  patched("v2-tar-huge-size", "FormatError", "payload.bin's size field 77777777777 (8 GiB - 1), far past the end", patchTarHeader(bytes, "payload.bin", { sizeOctal: "77777777777" }));
  patched("v2-tar-symlink", "FormatError", "payload.bin is a symbolic link to /etc/passwd (typeflag 2)", patchTarHeader(bytes, "payload.bin", { typeflag: "2", linkname: "/etc/passwd" }));

  rewriteMembers(at("v2-two-recipients.enc"), at("v2-swapped-wrapped-keys.enc"), (dir) => {
    const [one, two] = [readFileSync(join(dir, "key-1.oaep")), readFileSync(join(dir, "key-2.oaep"))];
    writeFileSync(join(dir, "key-1.oaep"), two);
    writeFileSync(join(dir, "key-2.oaep"), one);
  });
  failure("v2-swapped-wrapped-keys", "v2-swapped-wrapped-keys.enc", "alice", "IntegrityError", "key-1.oaep and key-2.oaep swapped: alice's slot holds bob's wrapped key");
  failure("v2-wrong-key", "v2-csv.enc", "carol", "DecryptError", "carol is not a recipient");
  failure("v2-wrong-passphrase", "v2-signed.enc", "bob", "PassphraseError", "bob's key with a wrong passphrase", "not bob's passphrase");
}

function notBundles(): void {
  const random = pattern(4096, 0xbad);
  if (random[0] === 0x1f && random[1] === 0x8b) throw new Error("pick another seed: the random case starts like gzip");
  writeFileSync(at("not-a-bundle-random.enc"), random);
  failure("not-a-bundle-random", "not-a-bundle-random.enc", "alice", "FormatError", "4 KiB of pseudo-random bytes");
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89]);
  writeFileSync(at("not-a-bundle-png.enc"), png);
  failure("not-a-bundle-png", "not-a-bundle-png.enc", "alice", "FormatError", "the start of a PNG image (signature and IHDR chunk)");
  writeFileSync(at("not-a-bundle-gzip.enc"), gzipSync(CSV, { level: 9 }));
  failure("not-a-bundle-gzip", "not-a-bundle-gzip.enc", "alice", "FormatError", "a gzip-compressed CSV: gzip like a legacy bundle, but no tar inside");
}

async function legacy(): Promise<void> {
  const write = (name: string, f: LegacyFixture) => writeFileSync(at(`${name}.enc`), f.bundle);
  write("legacy-2012-md5", make2012Bundle({ plaintext: CSV, pub: pubPem("psychopy-2012"), md: "md5" }));
  await success("legacy-2012-md5", "legacy-2012-md5.enc", "psychopy-2012", CSV, "PsychoPy opensslwrap 2012, enc -md md5 (OpenSSL 0.9.8 recorded), 1024-bit key in a protected traditional PEM");
  write("legacy-2012-rotated", make2012Bundle({ plaintext: CSV, pub: pubPem("alice"), md: "sha256", meta: "rotated" }));
  await success("legacy-2012-rotated", "legacy-2012-rotated.enc", "alice", CSV, "PsychoPy opensslwrap 2012 after a key rotation, enc -md sha256");
  write("legacy-pyfilesec-padded", makePyFileSecBundle({ plaintext: CSV, pub: pubPem("alice"), md: "sha256", padTo: 4096 }));
  await success("legacy-pyfilesec-padded", "legacy-pyfilesec-padded.enc", "alice", CSV, "pyFileSec 0.2, enc -md sha256, padded to 4096 bytes: the padding is stripped");
  write("legacy-pyfilesec-no-meta", makePyFileSecBundle({ plaintext: CSV, pub: pubPem("bob"), md: "md5", meta: "none" }));
  await success("legacy-pyfilesec-no-meta", "legacy-pyfilesec-no-meta.enc", "bob", CSV, "pyFileSec 0.2 without meta-data, enc -md md5: the digest is found by trying");
  failure("legacy-wrong-key", "legacy-pyfilesec-padded.enc", "carol", "DecryptError", "carol's key cannot unwrap the password");

  // The wrapped password of another encryption of the same file, for the same key.
  const other = make2012Bundle({ plaintext: CSV, pub: pubPem("alice"), md: "sha256" });
  const pwd = "data.txt.aes256pwd.rsa";
  write("legacy-2012-wrong-password", make2012Bundle({ plaintext: CSV, pub: pubPem("alice"), md: "sha256", tamper: (m) => m.set(pwd, other.members.get(pwd) ?? new Uint8Array(0)) }));
  failure("legacy-2012-wrong-password", "legacy-2012-wrong-password.enc", "alice", "DecryptError", "the wrapped password opens, but it is not the data's");
  const data = "data.txt.aes256";
  const flipLast = (m: Map<string, Uint8Array>) => m.set(data, flipBase64Ciphertext(m.get(data) ?? new Uint8Array(0), 17));
  write("legacy-pyfilesec-bad-padding", makePyFileSecBundle({ plaintext: CSV, pub: pubPem("alice"), md: "sha256", meta: "none", tamper: flipLast }));
  failure("legacy-pyfilesec-bad-padding", "legacy-pyfilesec-bad-padding.enc", "alice", "DecryptError", "no meta-data; a ciphertext bit flipped so the CBC padding is wrong");
  write("legacy-2012-hash-mismatch", make2012Bundle({ plaintext: CSV, pub: pubPem("alice"), md: "sha256", tamper: flipLast }));
  failure("legacy-2012-hash-mismatch", "legacy-2012-hash-mismatch.enc", "alice", "IntegrityError", "data altered after the meta-data recorded its SHA-256");
}

/** One case a line, so that a diff shows which cases changed. */
function manifestText(): string {
  const about =
    "Format vectors of opensslwrap, made by test/vectors/generate.ts and committed; the tests never regenerate them. " +
    "Each case: decrypt `file` with the private key `key` (and `passphrase`) through decryptBytes; " +
    'expect the plaintext (`size`, `sha256`) or, for broken cases, a failure of the error class named by `expect`.';
  return `{\n  "about": ${JSON.stringify(about)},\n  "cases": [\n${cases.map((c) => `    ${JSON.stringify(c)}`).join(",\n")}\n  ]\n}\n`;
}

async function selfCheck(): Promise<void> {
  const parsed = parseManifest(readFileSync(at("manifest.json"), "utf8"));
  const api = { decryptBytes: ow.decryptBytes, errors: ow };
  const load = async (file: string) => new Uint8Array(readFileSync(at(file)));
  let bad = 0;
  for (const c of parsed) {
    const problem = await checkCase(c, load, api);
    if (problem !== undefined) {
      bad++;
      console.error(`${c.name}: ${problem}`);
    }
  }
  const size = readdirSync(HERE).reduce((sum, f) => sum + statSync(at(f)).size, 0) + readdirSync(at("keys")).reduce((sum, f) => sum + statSync(at(`keys/${f}`)).size, 0);
  console.log(`${parsed.length} cases, ${bad} not as expected; ${(size / 1024).toFixed(0)} KiB in test/vectors/`);
  if (size > BUDGET) throw new Error(`test/vectors/ holds ${size} bytes, over the ${BUDGET} budget`);
  if (bad > 0) process.exit(1);
}

ensureKeys();
for (const f of readdirSync(HERE)) if (f.endsWith(".enc")) rmSync(at(f));
await validV2();
await fromOpensslwrap();
brokenV2();
notBundles();
await legacy();
writeFileSync(at("manifest.json"), manifestText());
await selfCheck();
