import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { transform } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseManifest } from "../vectors/check.js";
import { copyBrowserLibrary, evaluateServed, requireBuild } from "./helpers.js";

/**
 * The committed format vectors (test/vectors/) in Chromium, on the browser library as shipped
 * (dist/browser/opensslwrap.js and its openssl.wasm), through the same check as on Node and Deno.
 */
const VECTORS = fileURLToPath(new URL("../vectors/", import.meta.url));
const cases = parseManifest(fs.readFileSync(path.join(VECTORS, "manifest.json"), "utf8"));
const site = fs.mkdtempSync(path.join(os.tmpdir(), "osw-vectors-browser-"));
/** Each case's outcome in the page: null when as expected, else what happened instead. */
let results: Record<string, string | null> = {};
let problems: string[] = [];

/** The page: the library, the shared check (check.ts as plain JS) and a copy of the vectors. */
async function buildSite(): Promise<void> {
  copyBrowserLibrary(site);
  fs.cpSync(VECTORS, path.join(site, "vectors"), { recursive: true, filter: (f) => !f.endsWith(".ts") });
  const check = await transform(fs.readFileSync(path.join(VECTORS, "check.ts"), "utf8"), { loader: "ts", format: "esm", target: "es2022" });
  fs.writeFileSync(path.join(site, "check.js"), check.code);
  fs.writeFileSync(path.join(site, "index.html"), '<!doctype html><meta charset="utf-8"><title>format vectors</title>');
  // The browser asks for it by itself; an empty one keeps the console free of a 404.
  fs.writeFileSync(path.join(site, "favicon.ico"), "");
}

beforeAll(async () => {
  requireBuild();
  await buildSite();
  ({ result: results, problems } = await evaluateServed<Record<string, string | null>>(
    site,
    `(async () => {
    const ow = await import("/browser/opensslwrap.js");
    const { checkCase, parseManifest } = await import("/check.js");
    const load = async (file) => {
      const r = await fetch("/vectors/" + file);
      if (!r.ok) throw new Error("cannot load " + file + ": HTTP " + r.status);
      return new Uint8Array(await r.arrayBuffer());
    };
    const cases = parseManifest(await (await fetch("/vectors/manifest.json")).text());
    const api = { decryptBytes: ow.decryptBytes, errors: ow };
    const out = {};
    for (const c of cases) out[c.name] = (await checkCase(c, load, api)) ?? null;
    return out;
  })()`,
  ));
}, 120_000);

afterAll(() => fs.rmSync(site, { recursive: true, force: true }));

describe("format vectors in Chromium (dist/browser/opensslwrap.js)", () => {
  it("ran every case, with no page error", () => {
    expect(Object.keys(results).sort()).toEqual(cases.map((c) => c.name).sort());
    expect(problems).toEqual([]);
  });

  for (const c of cases) {
    it(`${c.name}: ${c.expect}`, () => {
      expect(results[c.name]).toBeNull();
    });
  }
});
