import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decrypt, decryptBytes, encrypt, encryptBytes, IntegrityError, rotateBytes } from "../src/index.js";
import { MAC_THREAD_MIN_BYTES } from "../src/bundle/bulk/engine.js";
import { checkTagSequentially } from "./helpers/context.js";
import { pattern } from "./helpers/data.js";
import { deterministic, nondeterministic } from "./helpers/determinism.js";
import { hostKey, type TestKey } from "./helpers/keys.js";

/** The accelerated bulk path (Node's native AES-CTR/HMAC) must give the wasm engine's bytes exactly. */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-engines-"));
let a: TestKey;
let b: TestKey;
beforeAll(() => {
  a = hostKey(tmp, "a");
  b = hostKey(tmp, "b");
});
afterEach(nondeterministic);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("engine auto (native bulk) and engine wasm", () => {
  for (const size of [0, 1, 17, 65_536, 5 * 1024 * 1024 + 3]) {
    it(`make identical signed bundles for ${size} bytes, and open each other's`, async () => {
      const data = pattern(size, size + 3);
      const options = { publicKeys: [a.pubPem, b.pubPem], name: "d.bin", signWith: { key: a.privPem } };
      deterministic();
      const wasm = await encryptBytes(data, { ...options, engine: "wasm" });
      deterministic();
      const native = await encryptBytes(data, { ...options, engine: "auto" });
      expect(Buffer.compare(Buffer.from(wasm), Buffer.from(native))).toBe(0);
      nondeterministic();
      const fromNative = await decryptBytes(native, { privateKey: { key: b.privPem }, engine: "wasm" });
      const fromWasm = await decryptBytes(wasm, { privateKey: { key: a.privPem }, engine: "auto" });
      expect(Buffer.compare(Buffer.from(fromNative.plaintext), Buffer.from(data))).toBe(0);
      expect(Buffer.compare(Buffer.from(fromWasm.plaintext), Buffer.from(data))).toBe(0);
    });
  }

  it("past MAC_THREAD_MIN_BYTES (MAC on a second thread): identical bundles, a tag the sequential check accepts, tampering refused", async () => {
    const data = pattern(MAC_THREAD_MIN_BYTES + 1_000_003, 5);
    const options = { publicKeys: [a.pubPem], name: "big.bin" };
    deterministic();
    const wasm = await encryptBytes(data, { ...options, engine: "wasm" });
    deterministic();
    const native = await encryptBytes(data, { ...options, engine: "auto" });
    nondeterministic();
    expect(Buffer.compare(Buffer.from(wasm), Buffer.from(native))).toBe(0);
    // The tag is checked with one sequential HMAC over the whole authenticated data.
    for (const engine of ["wasm", "auto"] as const) await checkTagSequentially(native, { key: a.privPem }, engine);
    for (const engine of ["wasm", "auto"] as const) {
      const back = await decryptBytes(native, { privateKey: { key: a.privPem }, engine });
      expect(Buffer.compare(Buffer.from(back.plaintext), Buffer.from(data))).toBe(0);
      const bad = native.slice();
      const last = Buffer.from(bad).lastIndexOf(Buffer.from("meta.json")) - 600;
      bad[last] = (bad[last] ?? 0) ^ 1; // the payload's last bytes
      await expect(decryptBytes(bad, { privateKey: { key: a.privPem }, engine })).rejects.toThrow(IntegrityError);
    }
  });

  it("a tampered big bundle decrypted to a file leaves no output and no temp file (the tag is judged after decrypting)", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "big-"));
    const file = path.join(dir, "big.bin");
    fs.writeFileSync(file, pattern(MAC_THREAD_MIN_BYTES + 4096, 6));
    const { bundle } = await encrypt(file, { publicKeys: [a.pubPem] });
    const fd = fs.openSync(bundle, "r+");
    // Flip a byte inside the payload (writing a fixed value left it unchanged one run in 256).
    const byte = Buffer.alloc(1);
    fs.readSync(fd, byte, 0, 1, 20 << 20);
    fs.writeSync(fd, Buffer.from([(byte[0] ?? 0) ^ 0xff]), 0, 1, 20 << 20);
    fs.closeSync(fd);
    for (const engine of ["wasm", "auto"] as const) {
      await expect(decrypt(bundle, { privateKey: { key: a.privPem }, engine })).rejects.toThrow(IntegrityError);
      expect(fs.readdirSync(dir)).toEqual(["big.bin.enc"]);
    }
  });

  for (const size of [3 * 1024 * 1024 + 5, MAC_THREAD_MIN_BYTES + 5]) it(`rotate identically (${size} bytes)`, async () => {
    const data = pattern(size, 9);
    const before = await encryptBytes(data, { publicKeys: [a.pubPem] });
    deterministic();
    const wasm = await rotateBytes(before, { key: a.privPem }, { publicKeys: [b.pubPem], engine: "wasm" });
    deterministic();
    const native = await rotateBytes(before, { key: a.privPem }, { publicKeys: [b.pubPem], engine: "auto" });
    nondeterministic();
    expect(Buffer.compare(Buffer.from(wasm), Buffer.from(native))).toBe(0);
    expect(Buffer.compare(Buffer.from((await decryptBytes(native, { privateKey: { key: b.privPem } })).plaintext), Buffer.from(data))).toBe(0);
  });

  it("without the test seam, two encryptions of the same data share nothing", async () => {
    const data = pattern(10_000);
    const x = await encryptBytes(data, { publicKeys: [a.pubPem], noDate: true });
    const y = await encryptBytes(data, { publicKeys: [a.pubPem], noDate: true });
    expect(Buffer.from(y).indexOf(Buffer.from(x.subarray(4000, 4032)))).toBe(-1);
  });
});
