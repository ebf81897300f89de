import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decryptBytes, encryptBytes, rotateBytes } from "../src/index.js";
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

  it("rotate identically", async () => {
    const data = pattern(3 * 1024 * 1024 + 5, 9);
    const before = await encryptBytes(data, { publicKeys: [a.pubPem] });
    deterministic();
    const wasm = await rotateBytes(before, { key: a.privPem }, { publicKeys: [b.pubPem], engine: "wasm" });
    deterministic();
    const native = await rotateBytes(before, { key: a.privPem }, { publicKeys: [b.pubPem], engine: "auto" });
    expect(Buffer.compare(Buffer.from(wasm), Buffer.from(native))).toBe(0);
  });

  it("without the test seam, two encryptions of the same data share nothing", async () => {
    const data = pattern(10_000);
    const x = await encryptBytes(data, { publicKeys: [a.pubPem], noDate: true });
    const y = await encryptBytes(data, { publicKeys: [a.pubPem], noDate: true });
    expect(Buffer.from(y).indexOf(Buffer.from(x.subarray(4000, 4032)))).toBe(-1);
  });
});
