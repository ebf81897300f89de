import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/cli/serve.js";
import { cli } from "../helpers/cli.js";
import { ctx } from "../helpers/context.js";
import { hostKey, type TestKey } from "../helpers/keys.js";
import { engineTwin } from "../helpers/upload-twin.js";
import { launchBrowser, type Browser } from "./helpers.js";

/** opensslwrap/upload in Chromium: the engine's bytes given the same inputs, opened by the CLI and stock openssl. */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-upload-chromium-"));
let server: RunningServer;
let browser: Browser;
let page: Page;
let lab: TestKey;

type UploadPage = {
  golden(openssl: string): Promise<number[]>;
  fresh(pem: string, text: string): Promise<number[]>;
  refusal(pem: string, size?: number): Promise<string>;
  tooLarge: number;
};
const api = (p: Page) => ({
  golden: (openssl: string) => p.evaluate((v) => (globalThis as unknown as { upload: UploadPage }).upload.golden(v), openssl),
  fresh: (pem: string, text: string) => p.evaluate(([k, t]) => (globalThis as unknown as { upload: UploadPage }).upload.fresh(k, t), [pem, text] as const),
  refusal: (pem: string, big = false) =>
    p.evaluate(([k, b]) => {
      const u = (globalThis as unknown as { upload: UploadPage }).upload;
      return u.refusal(k, b ? u.tooLarge : 1);
    }, [pem, big] as const),
});

beforeAll(async () => {
  lab = hostKey(tmp, "lab", 3072);
  const site = path.join(tmp, "site");
  fs.mkdirSync(site);
  await build({ entryPoints: [path.join(ROOT, "test/golden/upload-browser.ts")], bundle: true, format: "esm", platform: "browser", target: "es2022", outfile: path.join(site, "upload.js"), logLevel: "silent" });
  fs.writeFileSync(path.join(site, "index.html"), '<!doctype html><meta charset="utf-8"><title>upload</title><script type="module" src="upload.js"></script>');
  server = await startServer({ root: site, port: 0 });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => "upload" in globalThis);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("opensslwrap/upload in Chromium", () => {
  it("given the engine's one-time secret, IV, meta-data and wrapped keys, writes the engine's bundle byte for byte", async () => {
    const uploaded = Uint8Array.from(await api(page).golden(await ctx.openssl.version()));
    const twin = await engineTwin(uploaded, "wasm");
    expect(Buffer.from(twin).equals(Buffer.from(uploaded))).toBe(true);
    // The platform recorded is Chromium's (the engine twin copied it).
    expect(new TextDecoder().decode(uploaded)).toMatch(/"platform": "browser Chrome\/[\d.]+ Linux/);
  });

  it("its bundles open with the CLI and with scripts/decrypt-with-openssl.sh", async () => {
    const csv = "participant,rt\nP001,512\n";
    const bundle = path.join(tmp, "fresh.csv.enc");
    fs.writeFileSync(bundle, Uint8Array.from(await api(page).fresh(lab.pubPem.toString(), csv)));
    const r = cli(["decrypt", bundle, "--privkey", lab.priv], tmp);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(tmp, "fresh.csv"), "utf8")).toBe(csv);
    const s = spawnSync("sh", [path.join(ROOT, "scripts/decrypt-with-openssl.sh"), bundle, lab.priv, path.join(tmp, "by-script.csv")]);
    expect(s.status, s.stderr.toString()).toBe(0);
    expect(fs.readFileSync(path.join(tmp, "by-script.csv"), "utf8")).toBe(csv);
  });

  it("refuses what Node refuses, with the same lines", async () => {
    const ec = execFileSync("openssl", ["pkey", "-pubout"], { input: execFileSync("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]) }).toString();
    const u = api(page);
    expect(await u.refusal(lab.pubPem.toString())).toBe("accepted");
    expect(await u.refusal(ec)).toBe("PublicKeyError: EC key given: opensslwrap needs an RSA key");
    expect(await u.refusal(hostKey(tmp, "short", 1024).pubPem.toString())).toBe("KeyTooShortError: RSA key too short: 1024 bits (at least 2048 required)");
    expect(await u.refusal(lab.privPem.toString())).toMatch(/^PublicKeyError: a private key was given/);
    expect(await u.refusal(lab.pubPem.toString(), true)).toMatch(/^UploadTooLargeError: data too large to encrypt in the browser: 67108865 bytes/);
  });
});
