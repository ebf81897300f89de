import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/cli/serve.js";
import { pattern } from "../helpers/data.js";
import { hostKey, type TestKey } from "../helpers/keys.js";
import { WEB_DIST, cliBundleIn, cliDecryptIn, downloadFrom, launchBrowser, opfsFiles, openPage, requireBuild, type Browser } from "./helpers.js";

/**
 * The page served with COOP/COEP (cross-origin isolated: the HMAC of large files on a second
 * worker, Cancel seen mid-command through shared memory) and without (one worker): both encrypt
 * and decrypt large files with either engine, and a cancelled run leaves nothing in the browser's
 * storage.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-web-isolation-"));
const servers: Record<string, RunningServer> = {};
let browser: Browser;
let lab: TestKey;
/** Past MAC_THREAD_MIN_BYTES (32 MiB): the MAC worker's size. */
const LARGE = 40 << 20;
let large: string;
let largeBundle: string;
/** Large enough that a run is still going when Cancel is pressed. */
let huge: string;

beforeAll(async () => {
  requireBuild();
  lab = hostKey(tmp, "lab");
  large = path.join(tmp, "session.bin");
  fs.writeFileSync(large, pattern(LARGE, 17));
  largeBundle = cliBundleIn(tmp, "recording.bin", pattern(LARGE + 5, 18), lab.pub);
  huge = path.join(tmp, "huge.bin");
  fs.writeFileSync(huge, "");
  fs.truncateSync(huge, 600 << 20);
  servers["isolated"] = await startServer({ root: WEB_DIST, port: 0 });
  servers["not isolated"] = await startServer({ root: WEB_DIST, port: 0, crossOriginIsolated: false });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  for (const s of Object.values(servers)) await s.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function useEngine(page: Page, engine: "auto" | "wasm"): Promise<void> {
  await page.setChecked("#engine-wasm", engine === "wasm");
}

/** Starts `go`, waits until its bar has moved, presses Cancel; the section's line after. */
async function cancelMidway(page: Page, prefix: string): Promise<string> {
  await page.click(`#${prefix}-go`);
  await page.locator(`#${prefix}-progress-text`).filter({ hasText: /[1-9]\d*%$/ }).waitFor({ timeout: 120_000 });
  await page.click(`#${prefix}-cancel`);
  await page.locator(`#${prefix}-error:not(:empty)`).waitFor({ timeout: 120_000 });
  return (await page.textContent(`#${prefix}-error`)) ?? "";
}

describe.each(["isolated", "not isolated"] as const)("web page, %s", (where) => {
  it(`says where the HMAC runs: ${where === "isolated" ? "a second worker" : "one worker"}`, async () => {
    const { page } = await openPage(browser.context, servers[where]?.url ?? "");
    expect(await page.evaluate("crossOriginIsolated")).toBe(where === "isolated");
    expect(await page.getAttribute("#engine", "data-threads")).toBe(where === "isolated" ? "second worker" : "one worker");
    await page.close();
  });

  for (const engine of ["auto", "wasm"] as const) {
    it(`encrypts and decrypts 40 MiB with engine ${engine}, interoperable with the CLI`, async () => {
      const { page, problems } = await openPage(browser.context, servers[where]?.url ?? "");
      await useEngine(page, engine);
      await page.setInputFiles("#enc-files", large);
      await page.setInputFiles("#enc-keys", lab.pub);
      const bundle = await downloadFrom(page, "#enc-go", tmp);
      expect(Buffer.compare(cliDecryptIn(tmp, bundle.file, lab), fs.readFileSync(large))).toBe(0);
      await page.setInputFiles("#dec-bundle", largeBundle);
      await page.setInputFiles("#dec-key", lab.priv);
      const plain = await downloadFrom(page, "#dec-go", tmp);
      expect(Buffer.compare(fs.readFileSync(plain.file), Buffer.from(pattern(LARGE + 5, 18)))).toBe(0);
      expect(problems).toEqual([]);
      await page.close();
    }, 300_000);
  }

  // Without shared memory, the wasm engine sees a cancel only between files (README, "In a browser").
  for (const engine of where === "isolated" ? (["auto", "wasm"] as const) : (["auto"] as const)) {
    it(`cancels a long run (engine ${engine}) and keeps nothing in browser storage`, async () => {
      const { page, problems } = await openPage(browser.context, servers[where]?.url ?? "");
      await useEngine(page, engine);
      await page.setInputFiles("#enc-files", huge);
      await page.setInputFiles("#enc-keys", lab.pub);
      expect(await cancelMidway(page, "enc")).toBe("Cancelled: nothing was kept.");
      expect(await page.textContent("#enc-result")).toBe("");
      await expect.poll(async () => Object.values(await opfsFiles(page)).flat()).toEqual([]);

      // The engine goes on serving: a small file right after.
      await page.setInputFiles("#enc-files", path.join(tmp, "lab.pub.pem"));
      const again = await downloadFrom(page, "#enc-go", tmp);
      expect(Buffer.compare(cliDecryptIn(tmp, again.file, lab), lab.pubPem)).toBe(0);
      expect(problems).toEqual([]);
      await page.close();
    }, 300_000);
  }
});
