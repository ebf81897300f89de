import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DecryptError, FormatError, IntegrityError, OpensslwrapError, PassphraseError, PrivateKeyError, decryptBytes } from "../src/index.js";
import { checkCase, parseManifest, type VectorApi } from "./vectors/check.js";

/**
 * The committed format vectors (test/vectors/, made once by test/vectors/generate.ts) on Node,
 * with the accelerated bulk engine and with the wasm one. The same cases run under Deno
 * (test/deno/vectors.test.ts) and in Chromium (test/browser/vectors.test.ts).
 */
const DIR = new URL("./vectors/", import.meta.url);
const cases = parseManifest(readFileSync(new URL("manifest.json", DIR), "utf8"));
const load = async (file: string) => new Uint8Array(await readFile(new URL(file, DIR)));
const errors = { DecryptError, FormatError, IntegrityError, OpensslwrapError, PassphraseError, PrivateKeyError };

describe("format vectors", () => {
  it("cover valid and broken, v2 and legacy bundles", () => {
    expect(cases.length).toBeGreaterThanOrEqual(24);
    for (const kind of ["v2-", "legacy-"]) {
      const of = cases.filter((c) => c.name.startsWith(kind));
      expect(of.some((c) => c.expect === "success")).toBe(true);
      expect(of.some((c) => c.expect !== "success")).toBe(true);
    }
  });

  for (const engine of ["auto", "wasm"] as const) {
    const api: VectorApi = { decryptBytes: (bundle, o) => decryptBytes(bundle, { ...o, engine }), errors };
    describe(`engine ${engine}`, () => {
      for (const c of cases) {
        it(`${c.name}: ${c.expect}`, async () => {
          expect(await checkCase(c, load, api)).toBeUndefined();
        });
      }
    });
  }
});
