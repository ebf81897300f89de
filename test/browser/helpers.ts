import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page, type Request } from "playwright-core";
import { expect } from "vitest";
import { cli } from "../helpers/cli.js";
import type { TestKey } from "../helpers/keys.js";
import { startServer } from "../../src/cli/serve.js";

/** The package's root (dist/ and wasm/ side by side, as installed) and its build (npm test builds it before vitest). */
export const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const DIST = path.join(PACKAGE_ROOT, "dist");
export const WEB_DIST = path.join(DIST, "web");
export const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));

/** Chromium from Debian (`apt-get install -y chromium`), or $OPENSSLWRAP_CHROMIUM. */
export function chromiumPath(): string {
  const p = process.env["OPENSSLWRAP_CHROMIUM"] ?? "/usr/bin/chromium";
  if (!fs.existsSync(p)) throw new Error(`Chromium not found at ${p}: apt-get install -y chromium (or set OPENSSLWRAP_CHROMIUM)`);
  return p;
}

export function requireBuild(): void {
  for (const f of ["web/index.html", "web/app.js", "web/worker.js", "web/openssl.wasm", "browser/opensslwrap.js", "cli/main.js"]) {
    if (!fs.existsSync(path.join(DIST, f))) throw new Error(`dist/${f} is missing: run npm run build first`);
  }
}

export interface Browser {
  context: BrowserContext;
  downloads: string;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile folder (removed on close). */
export async function launchBrowser(): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "osw-chromium-"));
  const downloads = fs.mkdtempSync(path.join(os.tmpdir(), "osw-downloads-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    acceptDownloads: true,
    downloadsPath: downloads,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"],
  });
  return {
    context,
    downloads,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
      fs.rmSync(downloads, { recursive: true, force: true });
    },
  };
}

export interface OpenedPage {
  page: Page;
  /** Every request the page (and its worker) made, in order. */
  requests: Request[];
  /** Uncaught page errors and console errors. */
  problems: string[];
}

/** Opens the web page and waits until its engine worker is ready. */
export async function openPage(context: BrowserContext, url: string): Promise<OpenedPage> {
  const page = await context.newPage();
  const requests: Request[] = [];
  const problems: string[] = [];
  page.on("request", (r) => requests.push(r));
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  await page.goto(url);
  await page.locator("#engine[data-state=ready], #engine[data-state=error]").waitFor({ timeout: 30_000 });
  const state = await page.getAttribute("#engine", "data-state");
  if (state !== "ready") throw new Error(`engine did not start: ${await page.textContent("#engine")}`);
  return { page, requests, problems };
}

/** Clicks `selector` and saves the download it starts; returns its suggested name and saved path. */
export async function downloadFrom(page: Page, selector: string, saveDir: string): Promise<{ name: string; file: string }> {
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: 60_000 }), page.click(selector)]);
  const failure = await download.failure();
  if (failure !== null) throw new Error(`download failed: ${failure}`);
  const file = path.join(saveDir, `${Date.now()}-${Math.random().toString(16).slice(2)}-${download.suggestedFilename()}`);
  await download.saveAs(file);
  return { name: download.suggestedFilename(), file };
}

/** Waits for the section's one-line error and returns it. */
export async function errorOf(page: Page, prefix: string): Promise<string> {
  const el = page.locator(`#${prefix}-error:not(:empty)`);
  await el.waitFor({ timeout: 30_000 });
  return (await el.textContent()) ?? "";
}

/** A bundle made by the CLI in a new folder under `dir` (keeping the original), for `pub`. */
export function cliBundleIn(dir: string, name: string, content: Uint8Array, pub: string, extra: string[] = []): string {
  const folder = fs.mkdtempSync(path.join(dir, "cli-"));
  fs.writeFileSync(path.join(folder, name), content);
  const r = cli(["encrypt", name, "--pubkey", pub, "--keep", ...extra], folder);
  expect(r.status, r.stderr).toBe(0);
  return path.join(folder, `${name}.enc`);
}

/** `bundle` decrypted by the CLI with `key` (and the passphrase in `passFile`). */
export function cliDecryptIn(dir: string, bundle: string, key: Pick<TestKey, "priv">, passFile?: string): Buffer {
  const out = path.join(fs.mkdtempSync(path.join(dir, "dec-")), "out");
  const r = cli(["decrypt", bundle, "--privkey", key.priv, "--out", out, ...(passFile === undefined ? [] : ["--passphrase-file", passFile])], dir);
  expect(r.status, r.stderr).toBe(0);
  return fs.readFileSync(out);
}

/** The files in this origin's private file system, by session folder. */
export async function opfsFiles(page: Page): Promise<Record<string, string[]>> {
  return (await page.evaluate(`(async () => {
    const root = await navigator.storage.getDirectory();
    const out = {};
    for await (const [name, handle] of root.entries()) {
      out[name] = [];
      if (handle.kind === "directory") for await (const child of handle.keys()) out[name].push(child);
    }
    return out;
  })()`)) as Record<string, string[]>;
}

/**
 * Copies the browser library as it ships into `site`: dist/browser/ and the package's wasm/
 * beside it, where the bundles look for the engine ("../../wasm/openssl.wasm" from /browser/).
 */
export function copyBrowserLibrary(site: string): void {
  fs.cpSync(path.join(DIST, "browser"), path.join(site, "browser"), { recursive: true });
  fs.mkdirSync(path.join(site, "wasm"), { recursive: true });
  for (const f of ["openssl.wasm", "manifest.json"]) fs.copyFileSync(path.join(PACKAGE_ROOT, "wasm", f), path.join(site, "wasm", f));
}

/**
 * Serves the folder `root` (with an index.html) on loopback, opens it in a fresh headless
 * Chromium and evaluates `script` there (a string, so that the test transform leaves its dynamic
 * imports for the browser); returns its result and the page's errors. Closes everything after.
 */
export async function evaluateServed<T>(root: string, script: string): Promise<{ result: T; problems: string[] }> {
  const server = await startServer({ root, port: 0 });
  const browser = await launchBrowser().catch(async (e: unknown) => {
    await server.close();
    throw e;
  });
  try {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    await page.goto(server.url);
    return { result: (await page.evaluate(script)) as T, problems };
  } finally {
    await browser.close();
    await server.close();
  }
}
