import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEncrypter, decryptBytes, DecryptError, encryptBytes, readPublicKey } from "../src/index.js";
import { WrapPool } from "../src/bundle/wrap-pool.js";
import { oaepEncryptMany, OpenSSLError, openssl, runOpenSSL } from "../src/openssl-api.js";
import { ctx } from "./helpers/context.js";
import { pattern } from "./helpers/data.js";
import { hostKey, type TestKey } from "./helpers/keys.js";

/** Secrets wrapped many per engine run (`openssl -opensslwrap-batch` and `pkeyutl -opensslwrap-each`, our patches 0003 and 0004) for batches of files. */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-pool-"));
let a: TestKey;
let b: TestKey;
beforeAll(() => {
  a = hostKey(tmp, "a");
  b = hostKey(tmp, "b", 3072);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The host openssl (the independent referee) unwraps one OAEP-SHA256 ciphertext. */
function hostUnwrap(key: TestKey, wrapped: Uint8Array): Buffer {
  const f = path.join(tmp, "w.bin");
  fs.writeFileSync(f, wrapped);
  return execFileSync("openssl", ["pkeyutl", "-decrypt", "-inkey", key.priv, "-in", f, "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256"]);
}

describe("oaepEncryptMany", () => {
  it("wraps every input for every key in one run; the host openssl unwraps each", async () => {
    const inputs = [pattern(64, 1), pattern(64, 2), pattern(64, 3)];
    const wrapped = await oaepEncryptMany(openssl, [(await readPublicKey(a.pubPem)).der, (await readPublicKey(b.pubPem)).der], inputs);
    expect(wrapped.map((w) => w.map((x) => x.length))).toEqual([
      [256, 384],
      [256, 384],
      [256, 384],
    ]);
    for (const [i, input] of inputs.entries()) {
      expect(hostUnwrap(a, wrapped[i]?.[0] ?? new Uint8Array())).toEqual(Buffer.from(input));
      expect(hostUnwrap(b, wrapped[i]?.[1] ?? new Uint8Array())).toEqual(Buffer.from(input));
    }
  });

  it("a command that fails (not a key) is an error, not a missing key", async () => {
    await expect(oaepEncryptMany(openssl, [new TextEncoder().encode("not a key")], [pattern(64)])).rejects.toThrow();
  });

  it("refuses inputs of different lengths (each is one piece of the engine's input) and empty ones", async () => {
    const key = (await readPublicKey(a.pubPem)).der;
    await expect(oaepEncryptMany(openssl, [key], [pattern(64, 1), pattern(32, 2)])).rejects.toThrow(RangeError);
    await expect(oaepEncryptMany(openssl, [key], [new Uint8Array(0)])).rejects.toThrow(RangeError);
    await expect(oaepEncryptMany(openssl, [key], [])).rejects.toThrow(RangeError);
  });

  it("the engine refuses -opensslwrap-each when the input is not whole pieces", async () => {
    const r = await runOpenSSL(["pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", "/k", "-in", "/in", "-opensslwrap-each", "64"], {
      files: { "/k": (await readPublicKey(a.pubPem)).der, "/in": pattern(100, 1) },
    }).catch((e: unknown) => e);
    expect(r).toBeInstanceOf(OpenSSLError);
    expect((r as OpenSSLError).stderr).toMatch(/-opensslwrap-each needs -encrypt and whole pieces of input/);
  });
});

describe("WrapPool", () => {
  it("gives each bundle its own secret and IV; every bundle opens for each recipient", async () => {
    const encrypter = await createEncrypter({ publicKeys: [a.pubPem, b.pubPem], batch: 4 });
    const data = pattern(5000, 7);
    const bundles = [];
    for (let i = 0; i < 6; i++) bundles.push(await encryptBytes(data, { encrypter }));
    encrypter.wipe();
    const ivs = new Set(bundles.map((x) => Buffer.from(x).toString("latin1").match(/iv ([0-9a-f]{32})/)?.[1]));
    expect(ivs.size).toBe(6);
    for (const x of bundles) {
      for (const key of [a, b]) expect(Buffer.from((await decryptBytes(x, { privateKey: { key: key.privPem } })).plaintext)).toEqual(Buffer.from(data));
    }
  });

  it("serves only its encrypter's recipients, and wipe() zeroes the secrets never handed out", async () => {
    // The pool belongs to an encrypter made for its recipients: a bundle of it opens for them only.
    const encrypter = await createEncrypter({ publicKeys: [await readPublicKey(a.pubPem)], batch: 3 });
    await expect(decryptBytes(await encryptBytes(pattern(10), { encrypter }), { privateKey: { key: b.privPem } })).rejects.toThrow(DecryptError);
    encrypter.wipe();
    const pool = new WrapPool(ctx, [await readPublicKey(a.pubPem)], 3);
    const first = await pool.take();
    const ready = (pool as unknown as { ready: { secret: Uint8Array }[] }).ready.map((r) => r.secret);
    expect(ready).toHaveLength(2);
    expect(ready.every((s) => s.some((x) => x !== 0))).toBe(true);
    pool.wipe();
    expect(ready.every((s) => s.every((x) => x === 0))).toBe(true);
    first.secret.fill(0);
  });

  it("wraps no more per run than the caller expects to take (at most its size)", async () => {
    const pool = new WrapPool(ctx, [await readPublicKey(a.pubPem)], 8);
    const ready = () => (pool as unknown as { ready: unknown[] }).ready.length;
    pool.expect(3);
    const taken = [await pool.take()];
    expect(ready()).toBe(2); // the first run: 3, not the first fill's 4
    taken.push(await pool.take(), await pool.take());
    pool.expect(20);
    taken.push(await pool.take());
    expect(ready()).toBe(7); // a run of 8 (its size), not 20
    pool.expect(2);
    for (let i = 0; i < 8; i++) taken.push(await pool.take());
    expect(ready()).toBe(0); // the last 1 of those 8 came from a run of 1 (1 expected then)
    pool.wipe();
    expect(new Set(taken.map((t) => Buffer.from(t.secret).toString("hex"))).size).toBe(taken.length);
    for (const t of taken) t.secret.fill(0);
  });
});
