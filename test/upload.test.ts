import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptBytes } from "../src/index.js";
import { openBundle } from "../src/bundle/v2.js";
import { encryptForUpload, KeyTooShortError, MAX_UPLOAD_BYTES, PublicKeyError, UPLOAD_TOOL, UploadTooLargeError } from "../src/upload/index.js";
import { setUploadTestSource } from "../src/upload/test-seam.js";
import { MemoryFile } from "../src/wasi/index.js";
import { cli } from "./helpers/cli.js";
import { ctx } from "./helpers/context.js";
import { hostKey, type TestKey } from "./helpers/keys.js";
import { engineTwin, uploadGoldenHere } from "./helpers/upload-twin.js";
import { memberNames, referenceFingerprint } from "./helpers/v2-reference.js";

/**
 * opensslwrap/upload on Node (Web Crypto as globalThis.crypto): its bundles are the format's,
 * byte for byte the engine's given the same inputs, and open with the library, the CLI and a
 * stock openssl. Chromium: test/browser/upload.test.ts.
 */
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-upload-"));
let a: TestKey;
let b: TestKey;

beforeAll(() => {
  a = hostKey(tmp, "a", 2048);
  b = hostKey(tmp, "b", 3072);
}, 60_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const CSV = "participant,trial,rt\nP007,1,532\nP007,2,611 \u00e9\u4e2d\n";
const bytesOf = async (blob: Blob) => new Uint8Array(await blob.arrayBuffer());
const write = (name: string, data: Uint8Array) => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, data);
  return file;
};
const openssl = (args: string[], input?: Uint8Array) => execFileSync("openssl", args, { input, stdio: ["pipe", "pipe", "pipe"] });

describe("the bundle", () => {
  it("is a v2 bundle as docs/FORMAT.md says: members, header, fingerprints, meta-data", async () => {
    const before = Date.now();
    const bundle = await bytesOf(await encryptForUpload(CSV, { publicKeys: [a.pubPem.toString(), b.pubPem], name: "study/trials.csv", note: "pilot" }));
    const opened = await openBundle(ctx, new MemoryFile(bundle)); // the library's strict reader
    const listed = execFileSync("tar", ["-tf", write("format.enc", bundle)], { encoding: "utf8" }).split("\n").filter((s) => s !== "");
    expect(listed).toEqual(memberNames(2));
    expect(bundle.length % 512).toBe(0);
    expect(bundle.subarray(-1024).every((x) => x === 0)).toBe(true);
    expect(opened.headerBytes.length).toBe(225 + 75 * 2);
    expect(opened.header.recipients).toEqual([referenceFingerprint(a.pub), referenceFingerprint(b.pub)]);
    expect(opened.wrapped.map((w) => w.length)).toEqual([256, 384]);
    const { created, platform, ...meta } = opened.meta;
    expect(meta).toEqual({
      format: "opensslwrap-bundle",
      version: 2,
      cipher: "aes-256-ctr",
      mac: "hmac-sha256",
      wrap: "rsa-oaep-sha256",
      recipients: opened.header.recipients.map((fingerprint, i) => ({ fingerprint, bits: [2048, 3072][i] })),
      file: { name: "trials.csv", size: new TextEncoder().encode(CSV).length },
      tool: `opensslwrap-upload 0.1.0`,
      note: "pilot",
    });
    expect(UPLOAD_TOOL).toBe("opensslwrap-upload 0.1.0");
    expect(platform).toMatch(/^browser /);
    expect(Date.parse(created ?? "")).toBeGreaterThanOrEqual(before - 1000);
  });

  it("given the engine's one-time secret, IV, meta-data and wrapped keys, is the engine's bundle byte for byte (wasm and accelerated)", async () => {
    const uploaded = await uploadGoldenHere();
    for (const engine of ["wasm", "auto"] as const) expect(Buffer.from(await engineTwin(uploaded, engine)).equals(Buffer.from(uploaded)), engine).toBe(true);
  });

  it("counts AES-CTR over the whole 128-bit block and tags as openssl does (an IV about to wrap, against host openssl)", async () => {
    const secret = Uint8Array.from({ length: 64 }, (_, i) => i * 7 + 1);
    const iv = new Uint8Array(16).fill(0xff);
    iv[15] = 0xfe;
    const plain = Uint8Array.from({ length: 100 }, (_, i) => i);
    setUploadTestSource({ secret, iv, now: new Date(0) });
    let bundle: Uint8Array;
    try {
      bundle = await bytesOf(await encryptForUpload(plain, { publicKeys: [a.pubPem] }));
    } finally {
      setUploadTestSource(undefined);
    }
    const opened = await openBundle(ctx, new MemoryFile(bundle));
    const payload = new Uint8Array(100);
    opened.payload.read(payload, 0);
    const hex = (x: Uint8Array) => Buffer.from(x).toString("hex");
    expect(hex(payload)).toBe(hex(openssl(["enc", "-aes-256-ctr", "-K", hex(secret.subarray(0, 32)), "-iv", hex(iv)], plain)));
    const covered = Buffer.concat([opened.headerBytes, ...opened.wrapped, payload]);
    expect(hex(opened.tag)).toBe(hex(openssl(["dgst", "-sha256", "-mac", "HMAC", "-macopt", `hexkey:${hex(secret.subarray(32))}`, "-binary"], covered)));
    expect(hex(secret)).not.toBe("00".repeat(64)); // the seam's copy is the caller's: not zeroed
  });
});

describe("opens with the lab's private key", () => {
  it("with the library, for each recipient, from a string, bytes, a Blob, empty data and shared memory", async () => {
    const utf8 = new TextEncoder().encode(CSV);
    const shared = new Uint8Array(new SharedArrayBuffer(utf8.length));
    shared.set(utf8);
    const inputs: [string | Uint8Array | Blob, Uint8Array][] = [
      [CSV, utf8],
      [utf8, utf8],
      [new Blob([utf8]), utf8],
      ["", new Uint8Array(0)],
      [shared, utf8],
    ];
    for (const [data, expected] of inputs) {
      const bundle = await bytesOf(await encryptForUpload(data, { publicKeys: [a.pubPem, b.pubPem] }));
      for (const key of [a, b]) {
        const { plaintext } = await decryptBytes(bundle, { privateKey: { key: key.privPem } });
        expect(Buffer.from(plaintext).equals(Buffer.from(expected))).toBe(true);
      }
    }
    expect(new TextDecoder().decode(utf8)).toBe(CSV); // the caller's bytes are left as they were
  });

  it("with the CLI and with scripts/decrypt-with-openssl.sh (stock openssl and tar)", async () => {
    const bundle = write("cli.enc", await bytesOf(await encryptForUpload(CSV, { publicKeys: [a.pubPem, b.pubPem], name: "trials.csv" })));
    const r = cli(["decrypt", bundle, "--privkey", a.priv, "--out", path.join(tmp, "by-cli.csv")], tmp);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(tmp, "by-cli.csv"), "utf8")).toBe(CSV);
    const info = cli(["info", bundle, "--json"], tmp);
    expect((JSON.parse(info.stdout.toString()) as { meta: { tool: string } }).meta.tool).toBe("opensslwrap-upload 0.1.0");
    const s = spawnSync("sh", [path.join(ROOT, "scripts/decrypt-with-openssl.sh"), bundle, b.priv, path.join(tmp, "by-script.csv")]);
    expect(s.status, s.stderr.toString()).toBe(0);
    expect(fs.readFileSync(path.join(tmp, "by-script.csv"), "utf8")).toBe(CSV);
  });
});

describe("refuses, with one line naming the cause", () => {
  const refusal = async (data: string | Uint8Array | Blob, publicKeys: (string | Uint8Array)[], note?: string): Promise<Error> => {
    const e = await encryptForUpload(data, { publicKeys, note }).then(
      () => undefined,
      (x: unknown) => x,
    );
    if (!(e instanceof Error)) throw new Error("not refused");
    expect(e.message).not.toContain("\n");
    return e;
  };

  it("data over 64 MiB (before reading a Blob); exactly 64 MiB is taken", async () => {
    const over = new Uint8Array(MAX_UPLOAD_BYTES + 1);
    for (const data of [over, new Blob([over]), "x".repeat(MAX_UPLOAD_BYTES + 1)]) {
      const e = await refusal(data, [a.pubPem]);
      expect(e).toBeInstanceOf(UploadTooLargeError);
      expect(e.message).toBe(`data too large to encrypt in the browser: ${MAX_UPLOAD_BYTES + 1} bytes, at most 67108864 (64 MiB); encrypt larger files with the opensslwrap library or command line`);
    }
    const bundle = await bytesOf(await encryptForUpload(over.subarray(1), { publicKeys: [a.pubPem] }));
    expect((await openBundle(ctx, new MemoryFile(bundle))).header.payloadBytes).toBe(MAX_UPLOAD_BYTES);
  }, 60_000);

  it("keys that are not an RSA public key of 2048 bits or more", async () => {
    const pem = (args: string[]) => openssl(args).toString();
    const ecPriv = pem(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]);
    const fromPriv = (priv: string) => openssl(["pkey", "-pubout"], Buffer.from(priv)).toString();
    const cases: [string, string | Uint8Array, RegExp][] = [
      ["private key", a.privPem, /^a private key was given where a public key is expected/],
      ["certificate", pem(["req", "-x509", "-key", a.priv, "-subj", "/CN=lab", "-days", "1"]), /^a certificate was given/],
      ["PKCS#1", pem(["rsa", "-pubin", "-in", a.pub, "-RSAPublicKey_out"]), /^a PKCS#1 'RSA PUBLIC KEY' was given/],
      ["EC", fromPriv(ecPriv), /^EC key given: opensslwrap needs an RSA key$/],
      ["Ed25519", fromPriv(pem(["genpkey", "-algorithm", "ED25519"])), /^ED25519 key given: opensslwrap needs an RSA key$/],
      ["RSA-PSS", fromPriv(pem(["genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"])), /^RSA-PSS-only key given/],
      ["no PEM", "hello", /^not a public key \(expected a PEM 'PUBLIC KEY'\)$/],
      ["bad base64", a.pubPem.toString().replace(/\n[A-Za-z0-9+/]{8}/, "\n!!!!!!!!"), /damaged/],
      ["truncated", a.pubPem.toString().replace(/\n[^\n]*\n[^\n]*\n-----END/, "\n-----END"), /damaged/],
      ["two keys", a.pubPem.toString() + b.pubPem.toString(), /^more than one key in one PEM text/],
    ];
    for (const [what, key, reason] of cases) {
      const e = await refusal(CSV, [key]);
      expect([what, e.name, e.message]).toEqual([what, "PublicKeyError", expect.stringMatching(reason)]);
      expect(e).toBeInstanceOf(PublicKeyError);
    }
    const short = await refusal(CSV, [hostKey(tmp, "short", 1024).pubPem]);
    expect(short).toBeInstanceOf(KeyTooShortError);
    expect(short.message).toBe("RSA key too short: 1024 bits (at least 2048 required)");
    expect((await refusal(CSV, [])).message).toBe("no public key given");
    expect(await refusal(CSV, Array<Buffer>(17).fill(a.pubPem))).toBeInstanceOf(RangeError);
  });

  it("a note of more than one line or 120 characters, and data of another type", async () => {
    expect((await refusal(CSV, [a.pubPem], "x".repeat(121))).message).toBe("note longer than 120 characters");
    expect((await refusal(CSV, [a.pubPem], "two\nlines")).message).toBe("note must be one line");
    expect(await refusal(42 as unknown as string, [a.pubPem])).toBeInstanceOf(TypeError);
  });
});
