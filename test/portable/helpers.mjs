/**
 * Shared by the portable suite (test/portable/): plain JavaScript with node:test and node:assert,
 * so that it runs unchanged under `node --test` and `deno test`, on Windows, macOS and Linux, with
 * no toolchain, no host openssl and no browser. It imports the package by name: run it where the
 * packed tarball is installed (scripts/test-portable.mjs; `npm run test:portable`).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after } from "node:test";

export const onDeno = "Deno" in globalThis;

/**
 * A fresh folder for this test file, removed when its tests are done. Under Deno from
 * Deno.makeTempDirSync, which needs no environment access to find the temp folder.
 */
export function tempDir() {
  const dir = onDeno ? globalThis.Deno.makeTempDirSync({ prefix: "osw-portable-" }) : fs.mkdtempSync(path.join(os.tmpdir(), "osw-portable-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
export const hex = (bytes) => Buffer.from(bytes).toString("hex");
export const utf8 = (text) => new TextEncoder().encode(text);

/** test/golden/vector.ts's golden vector, as committed for this suite by test/golden.test.ts. */
export const golden = {
  ...JSON.parse(fs.readFileSync(new URL("./golden/golden.json", import.meta.url), "utf8")),
  bundle: new Uint8Array(fs.readFileSync(new URL("./golden/golden.enc", import.meta.url))),
};

/** Bytes that look random enough for a cipher test, the same on every machine. */
export function pattern(size) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (Math.imul(i, 2654435761) >>> 13) & 0xff;
  return out;
}
