import assert from "node:assert/strict";
import { checkCase, parseManifest } from "../vectors/check.ts";
import { ow } from "./helpers.ts";

/** The committed format vectors (test/vectors/) under Deno, on the built package. */

const DIR = new URL("../vectors/", import.meta.url);
const cases = parseManifest(await Deno.readTextFile(new URL("manifest.json", DIR)));
const load = (file: string) => Deno.readFile(new URL(file, DIR));
const api = { decryptBytes: ow.decryptBytes, errors: ow };

Deno.test("format vectors under Deno", async (t) => {
  assert.ok(cases.length >= 24, `only ${cases.length} cases`);
  for (const c of cases) {
    await t.step(`${c.name}: ${c.expect}`, async () => {
      assert.equal(await checkCase(c, load, api), undefined);
    });
  }
});
