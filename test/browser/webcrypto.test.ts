import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/cli/serve.js";
import { hostKey } from "../helpers/keys.js";
import { WEB_DIST, launchBrowser, requireBuild, type Browser } from "./helpers.js";

/**
 * The Web Crypto bulk engine in Chromium, in a dedicated worker: the wasm engine's ciphertext and
 * tag, and whole bundles byte for byte the same (one secret, IV and wrapped key given to both), for
 * every size and counter wrap (2^32, 2^64, 2^128), on a cross-origin isolated page (the
 * HMAC of payloads from 32 MiB on runs on the MAC worker) and on one that is not (it runs between
 * the cipher's calls).
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const site = fs.mkdtempSync(path.join(os.tmpdir(), "osw-webcrypto-"));
const servers: Record<string, RunningServer> = {};
let browser: Browser;
let publicKey: string;

beforeAll(async () => {
  requireBuild();
  publicKey = hostKey(site, "k").pubPem.toString();
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "wasm/manifest.json"), "utf8")) as { wasm: { sha256: string } };
  await build({
    entryPoints: [path.join(ROOT, "test/browser/webcrypto-harness.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    outfile: path.join(site, "harness.js"),
    define: { __OPENSSLWRAP_WASM_SHA256__: JSON.stringify(manifest.wasm.sha256) },
    logLevel: "silent",
  });
  for (const f of ["openssl.wasm", "mac-worker.js"]) fs.copyFileSync(path.join(WEB_DIST, f), path.join(site, f));
  fs.writeFileSync(path.join(site, "favicon.ico"), "");
  fs.writeFileSync(path.join(site, "index.html"), '<!doctype html><meta charset="utf-8"><title>webcrypto</title>');
  servers["isolated"] = await startServer({ root: site, port: 0 });
  servers["not isolated"] = await startServer({ root: site, port: 0, crossOriginIsolated: false });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const s of Object.values(servers)) await s.close();
  fs.rmSync(site, { recursive: true, force: true });
});

const MIB = 1 << 20;
const BIG = 32 * MIB + 123_457;
const CASES: [size: number, iv: string][] = [
  [0, "000102030405060708090a0b0c0d0e0f"],
  [1, "000102030405060708090a0b0c0d0e0f"],
  [MIB + 17, "000102030405060708090a0b0c0d0e0f"],
  [2 * MIB + 5, "000102030405060708090a0bfffffffd"],
  [2 * MIB + 5, "0001020304050607fffffffffffffff0"],
  [2 * MIB + 5, "fffffffffffffffffffffffffffffffe"],
  [2 * MIB + 5, "ffffffffffffffffffffffffffff0000"],
  [BIG, "ffffffffffffffffffffffffffffff00"],
];

describe.each(["isolated", "not isolated"])("Web Crypto bulk engine in Chromium (%s)", (where) => {
  it("gives the wasm engine's ciphertext and tag, opens its payloads and refuses altered ones", async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(servers[where]?.url ?? "");
    expect(await page.evaluate("crossOriginIsolated")).toBe(where === "isolated");
    const results = (await page.evaluate(`(async (cases, publicKey) => {
      const worker = new Worker("/harness.js", { type: "module" });
      const out = [];
      for (const [size, iv] of cases) {
        out.push(await new Promise((resolve) => { worker.onmessage = (e) => resolve({ size, iv, ...e.data }); worker.postMessage({ size, iv, publicKey }); }));
      }
      worker.terminate();
      return out;
    })(${JSON.stringify(CASES)}, ${JSON.stringify(publicKey)})`)) as Record<string, unknown>[];
    for (const r of results) {
      expect(r, JSON.stringify(r)).toEqual({
        size: r["size"],
        iv: r["iv"],
        engine: "webcrypto",
        threads: where === "isolated" ? "second worker" : "one worker",
        sameCiphertext: true,
        sameTag: true,
        opensReference: true,
        referenceOpens: true,
        tampered: "IntegrityError",
        sameBundle: true,
      });
    }
    expect(problems).toEqual([]);
    await page.close();
  }, 300_000);
});
