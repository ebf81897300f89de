/**
 * scripts/decrypt-with-openssl.sh, the recovery path that needs no opensslwrap: it must decrypt
 * bundles written by the independent reference writer (test/helpers/v2-reference.ts, host openssl
 * and tar only) under every POSIX shell at hand, and refuse damaged or foreign input without
 * leaving a byte of output, a partial file or its private temporary folder behind.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { createHash, createPublicKey, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { editBundle, flipByte, makeReferenceBundle, tarMembers } from "./helpers/v2-reference.js";

const SCRIPT = fileURLToPath(new URL("../scripts/decrypt-with-openssl.sh", import.meta.url));
// The script is POSIX sh: `sh` (dash on Debian), and dash and bash by name when installed.
const SHELLS = ["sh", ...["dash", "bash"].filter((s) => existsSync(`/bin/${s}`))];
const PASSPHRASE = "correct horse battery staple";
const SIZES = [0, 1, 16, 100_003, 3 * 1024 * 1024 + 5];

let root = "";
const key = { alice: "", bob: "", carol: "", mallory: "" };
const pub = { alice: "", bob: "", carol: "", mallory: "" };
let passFile = "";
let wrongPassFile = "";
const plain = new Map<number, Buffer>();
const single = new Map<number, string>(); // size -> bundle for alice
let duo = ""; // alice and bob
let protectedBundle = ""; // carol, passphrase-protected key
let signedBundle = ""; // alice, signed by bob
const damaged: Record<string, string> = {};

/** The spec's fingerprint computed by Node, not openssl: SHA-256 of the DER SubjectPublicKeyInfo. */
function fingerprint(pubPem: string): string {
  const der = createPublicKey(readFileSync(pubPem)).export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("hex");
}

let runs = 0;
interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Folder holding only OUTFILE (and TMPDIR): partial files would show here. */
  dir: string;
  out: string;
  /** TMPDIR given to the script: its private folder must be gone afterwards. */
  tmp: string;
}

/** Runs the script with `shell`; `args` may use OUT for a fresh output path. */
function run(shell: string, args: readonly string[], prepare?: (out: string) => void): Run {
  const dir = join(root, `run-${++runs}`);
  const tmp = join(dir, "tmp");
  mkdirSync(tmp, { recursive: true });
  const out = join(dir, "out.bin");
  prepare?.(out);
  const r = spawnSync(shell, [SCRIPT, ...args.map((a) => (a === "OUT" ? out : a))], {
    encoding: "utf8",
    input: "", // no terminal: a passphrase prompt would fail, not hang
    env: { ...process.env, TMPDIR: tmp },
    timeout: 30_000,
  });
  if (r.error !== undefined) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, dir, out, tmp };
}

/** What every refusal must leave: exit 1, a one-line message, no OUTFILE, no partial, no temporary folder. */
function expectRefused(r: Run, message: string | RegExp): void {
  expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 1, stdout: "" });
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(existsSync(r.out)).toBe(false);
  expect(readdirSync(r.dir)).toEqual(["tmp"]);
  expect(readdirSync(r.tmp)).toEqual([]);
}

/** What a success must leave: the plaintext byte for byte, owner-only, and nothing else. */
function expectDecrypted(r: Run, bundle: string, expected: Buffer): void {
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
  expect(r.stdout).toBe(`decrypted ${bundle} -> ${r.out}\n`);
  const got = readFileSync(r.out);
  expect(got.length).toBe(expected.length);
  expect(got.equals(expected)).toBe(true);
  expect(statSync(r.out).mode & 0o077).toBe(0);
  expect(readdirSync(r.dir).sort()).toEqual(["out.bin", "tmp"]);
  expect(readdirSync(r.tmp)).toEqual([]);
}

const execFileAsync = promisify(execFile);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "opensslwrap-recovery-"));
  const names = ["alice", "bob", "carol", "mallory"] as const;
  for (const n of names) {
    key[n] = join(root, `${n}.pem`);
    pub[n] = join(root, `${n}.pub.pem`);
  }
  // Key generation dominates the set-up: run the four in parallel.
  await Promise.all(
    names.map(async (n) => {
      const protect = n === "carol" ? ["-aes-256-cbc", "-pass", `pass:${PASSPHRASE}`] : [];
      await execFileAsync("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", ...protect, "-out", key[n]]);
      const passin = n === "carol" ? ["-passin", `pass:${PASSPHRASE}`] : [];
      await execFileAsync("openssl", ["pkey", "-in", key[n], ...passin, "-pubout", "-out", pub[n]]);
    }),
  );
  passFile = join(root, "pass.txt");
  writeFileSync(passFile, `${PASSPHRASE}\n`);
  wrongPassFile = join(root, "wrong-pass.txt");
  writeFileSync(wrongPassFile, "Tr0ub4dor&3\n");

  const work = join(root, "work");
  mkdirSync(work);
  const make = (name: string, plaintext: Buffer, recipients: string[], extra: { signers?: string[]; meta?: object } = {}): string => {
    const out = join(root, `${name}.enc`);
    makeReferenceBundle({ plaintext, recipients, dir: work, out, ...extra });
    return out;
  };
  for (const size of SIZES) {
    plain.set(size, randomBytes(size));
    single.set(size, make(`single-${size}`, plainOf(size), [pub.alice]));
  }
  duo = make("duo", plainOf(100_003), [pub.alice, pub.bob]);
  protectedBundle = make("protected", plainOf(16), [pub.carol]);
  signedBundle = make("signed", plainOf(100_003), [pub.alice], {
    signers: [key.bob],
    meta: { format: "opensslwrap-bundle", version: 2, note: "signed by bob" },
  });

  // Damaged bundles: members edited, then re-tarred exactly as the reference writer does, so the
  // tar itself stays valid and the script's own checks must catch the damage.
  const base = bundleOf(100_003);
  damaged["not-tar"] = join(root, "random.bin");
  writeFileSync(join(root, "random.bin"), randomBytes(4096));
  const edit = (name: string, fn: (dir: string) => void): void => {
    const out = join(root, `damaged-${name}.enc`);
    editBundle(base, join(root, `edit-${name}`), out, fn);
    damaged[name] = out;
  };
  edit("payload", (d) => flipByte(join(d, "payload.bin"), 50_000));
  edit("tag", (d) => flipByte(join(d, "tag.hmac"), 31));
  edit("iv", (d) => {
    // Another valid hex digit, so the header grammar still holds and only the tag can tell.
    const p = join(d, "header.txt");
    const h = readFileSync(p, "latin1");
    const at = h.indexOf("\niv ") + 4 + 7;
    writeFileSync(p, h.slice(0, at) + (h[at] === "0" ? "1" : "0") + h.slice(at + 1), "latin1");
  });
  edit("meta", (d) => flipByte(join(d, "meta.json"), 3));
  edit("wrapped-key", (d) => flipByte(join(d, "key-1.oaep"), 100));
  edit("truncated", (d) => {
    const p = join(d, "payload.bin");
    writeFileSync(p, readFileSync(p).subarray(0, -1));
  });
  edit("newer", (d) => {
    const p = join(d, "header.txt");
    writeFileSync(p, readFileSync(p, "latin1").replace("opensslwrap-bundle 2\n", "opensslwrap-bundle 3\n"), "latin1");
  });
  edit("uppercase-iv", (d) => {
    const p = join(d, "header.txt");
    writeFileSync(p, readFileSync(p, "latin1").replace(/\niv ([0-9a-f]{32})\n/, (_, iv: string) => `\niv ${iv.toUpperCase().replace(/^[0-9]/, "A")}\n`), "latin1");
  });
  // Same members, wrong order (meta.json before payload.bin).
  const order = join(root, "damaged-order.enc");
  const orderDir = join(root, "edit-order");
  mkdirSync(orderDir);
  execFileSync("tar", ["-xf", base, "-C", orderDir]);
  tarMembers(orderDir, order, ["header.txt", "key-1.oaep", "meta.json", "payload.bin", "tag.hmac"]);
  damaged["order"] = order;
  // A recipient's wrapped key left out: the listing is a valid 1-recipient layout, the header says 2.
  const missing = join(root, "damaged-missing-key.enc");
  const missingDir = join(root, "edit-missing-key");
  mkdirSync(missingDir);
  execFileSync("tar", ["-xf", duo, "-C", missingDir]);
  tarMembers(missingDir, missing, ["header.txt", "key-1.oaep", "payload.bin", "meta.json", "tag.hmac"]);
  damaged["missing-key"] = missing;
  // payload.bin stored as a symbolic link (to a file that exists): only regular files are read.
  edit("symlink", (d) => {
    rmSync(join(d, "payload.bin"));
    symlinkSync(join(root, "random.bin"), join(d, "payload.bin"));
  });

  damaged["gzip"] = join(root, "bundle.tar.gz");
  writeFileSync(join(root, "bundle.tar.gz"), gzipSync(readFileSync(base)));
}, 60_000);

afterAll(() => {
  if (root !== "") rmSync(root, { recursive: true, force: true });
});

function plainOf(size: number): Buffer {
  const p = plain.get(size);
  if (p === undefined) throw new Error(`no plaintext of ${size} bytes`);
  return p;
}
function bundleOf(size: number): string {
  const b = single.get(size);
  if (b === undefined) throw new Error(`no bundle of ${size} bytes`);
  return b;
}

it("is POSIX sh that dash and bash parse", () => {
  for (const shell of SHELLS) expect(spawnSync(shell, ["-n", SCRIPT]).status).toBe(0);
});

for (const shell of SHELLS) {
  describe(`decrypt-with-openssl.sh under ${shell}`, () => {
    describe("round trip", () => {
      it.each(SIZES)("decrypts a %i-byte plaintext", (size) => {
        expectDecrypted(run(shell, [bundleOf(size), key.alice, "OUT"]), bundleOf(size), plainOf(size));
      });

      it("lets each of two recipients decrypt alone", () => {
        expectDecrypted(run(shell, [duo, key.alice, "OUT"]), duo, plainOf(100_003));
        expectDecrypted(run(shell, [duo, key.bob, "OUT"]), duo, plainOf(100_003));
      });

      it("reads a passphrase-protected key with PASSPHRASE_FILE", () => {
        expectDecrypted(run(shell, [protectedBundle, key.carol, "OUT", passFile]), protectedBundle, plainOf(16));
      });

      it("accepts signer lines and sig-i.pss members", () => {
        expectDecrypted(run(shell, [signedBundle, key.alice, "OUT"]), signedBundle, plainOf(100_003));
      });
    });

    describe("refuses", () => {
      it("a private key that is not a recipient, naming the recipients", () => {
        const r = run(shell, [duo, key.mallory, "OUT"]);
        expectRefused(r, `this private key is not a recipient of ${duo}; recipients: ${fingerprint(pub.alice)} ${fingerprint(pub.bob)}`);
      });

      it("a wrong passphrase, and a protected key without PASSPHRASE_FILE (no prompt)", () => {
        expectRefused(run(shell, [protectedBundle, key.carol, "OUT", wrongPassFile]), /cannot read the private key .*wrong passphrase/);
        expectRefused(run(shell, [protectedBundle, key.carol, "OUT"]), /cannot read the private key .*give PASSPHRASE_FILE/);
      });

      it.each([
        ["payload", "one flipped byte in payload.bin", /integrity check failed: the bundle was altered or corrupted; nothing written/],
        ["tag", "one flipped byte in tag.hmac", /integrity check failed/],
        ["iv", "another iv in header.txt", /integrity check failed/],
        ["meta", "one flipped byte in meta.json", /meta\.json does not match its SHA-256/],
        ["wrapped-key", "one flipped byte in key-1.oaep", /cannot unwrap key-1\.oaep/],
        ["truncated", "a payload one byte short of payload-bytes", /payload\.bin has 100002 bytes, header\.txt says 100003/],
        ["newer", "format version 3", /made by a newer opensslwrap/],
        ["uppercase-iv", "a header off the grammar (uppercase hex)", /damaged header\.txt/],
        ["order", "members out of order", /not an opensslwrap v2 bundle: .* does not hold exactly the members header\.txt key-1\.oaep payload\.bin meta\.json tag\.hmac$/m],
        ["missing-key", "a recipient's key-i.oaep left out", /it lists 2 recipients and 0 signers, the bundle holds 1 keys and 0 signatures/],
        ["symlink", "payload.bin as a symbolic link", /payload\.bin is not a regular file/],
        ["not-tar", "a file that is not a tar", /not a tar archive/],
        ["gzip", "a gzip-compressed file", /not an opensslwrap v2 bundle/],
      ])("%s: %s", (name, _what, message) => {
        const bundle = damaged[name];
        if (bundle === undefined) throw new Error(`no damaged bundle ${name}`);
        expectRefused(run(shell, [bundle, key.alice, "OUT"]), message);
      });

      it("an existing OUTFILE, leaving it unchanged", () => {
        const r = run(shell, [bundleOf(16), key.alice, "OUT"], (out) => writeFileSync(out, "keep me"));
        expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 1, stdout: "" });
        expect(r.stderr).toMatch(/out\.bin exists; not overwriting/);
        expect(readFileSync(r.out, "utf8")).toBe("keep me");
        expect(readdirSync(r.dir).sort()).toEqual(["out.bin", "tmp"]);
      });

      it("missing files", () => {
        expectRefused(run(shell, [join(root, "nope.enc"), key.alice, "OUT"]), /cannot read .*nope\.enc/);
        expectRefused(run(shell, [bundleOf(16), join(root, "nope.pem"), "OUT"]), /cannot read .*nope\.pem/);
        expectRefused(run(shell, [protectedBundle, key.carol, "OUT", join(root, "nope.txt")]), /cannot read .*nope\.txt/);
        expectRefused(run(shell, [bundleOf(16), key.alice, join(root, "no-such-dir", "out.bin")]), /cannot create a file next to/);
      });

      it("wrong usage with exit status 2", () => {
        for (const args of [[], [bundleOf(16)], [bundleOf(16), key.alice], [bundleOf(16), key.alice, "OUT", passFile, "extra"], ["", key.alice, "OUT"]]) {
          const r = run(shell, args);
          expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 2, stdout: "" });
          expect(r.stderr).toMatch(/^usage: decrypt-with-openssl BUNDLE PRIVKEY OUTFILE \[PASSPHRASE_FILE\]\n$/);
          expect(readdirSync(r.dir)).toEqual(["tmp"]);
        }
      });
    });
  });
}

describe("the reference bundle", () => {
  it("is a ustar archive as the spec lays it out (mode 0600, uid/gid 0, mtime 0, two closing zero blocks)", () => {
    const listing = execFileSync("tar", ["--numeric-owner", "-tvf", duo], { encoding: "utf8" });
    const rows = listing.trimEnd().split("\n").map((l) => l.split(/\s+/));
    expect(rows.map((f) => `${f[0] ?? ""} ${f[1] ?? ""} ${f[f.length - 1] ?? ""}`)).toEqual(
      ["header.txt", "key-1.oaep", "key-2.oaep", "payload.bin", "meta.json", "tag.hmac"].map((n) => `-rw------- 0/0 ${n}`),
    );
    const tar = readFileSync(duo);
    expect(tar.subarray(257, 265).toString("latin1")).toBe("ustar\u000000");
    expect(tar.subarray(136, 148).toString("latin1")).toBe("00000000000\u0000");
    expect(tar.length % 512).toBe(0);
    expect(tar.subarray(-1024).equals(Buffer.alloc(1024))).toBe(true);
    expect(tar.subarray(-1536, -1024).equals(Buffer.alloc(512))).toBe(false); // tag.hmac's padded block
  });

  it("carries a signature that the spec's openssl command verifies", () => {
    const d = join(root, "verify-signed");
    mkdirSync(d);
    execFileSync("tar", ["-xf", signedBundle, "-C", d]);
    const signed = Buffer.concat(["header.txt", "key-1.oaep", "payload.bin"].map((m) => readFileSync(join(d, m))));
    const args = ["dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest", "-verify", pub.bob, "-signature", join(d, "sig-1.pss")];
    expect(execFileSync("openssl", args, { input: signed, encoding: "utf8" })).toMatch(/Verified OK/);
    expect(readFileSync(join(d, "header.txt"), "latin1")).toContain(`\nsigner ${fingerprint(pub.bob)} rsa-pss-sha256\n`);
  });
});
