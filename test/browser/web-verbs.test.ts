import { createHash, createPublicKey } from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Download, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/cli/serve.js";
import { cli } from "../helpers/cli.js";
import { pattern } from "../helpers/data.js";
import { hostKey, type TestKey } from "../helpers/keys.js";
import { WEB_DIST, cliBundleIn, cliDecryptIn, downloadFrom, errorOf, launchBrowser, opfsFiles, openPage, requireBuild, type Browser } from "./helpers.js";

/**
 * The page's newer sections against the CLI: keys generated in the page, rotation, several
 * bundles at once with one download, results cleared by new input, and the page's own messages.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-web-verbs-"));
let web: RunningServer;
let browser: Browser;
let lab: TestKey;
let other: TestKey;

beforeAll(async () => {
  requireBuild();
  lab = hostKey(tmp, "lab");
  other = hostKey(tmp, "other");
  web = await startServer({ root: WEB_DIST, port: 0 });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function write(name: string, content: Uint8Array | string): string {
  const p = path.join(fs.mkdtempSync(path.join(tmp, "in-")), name);
  fs.writeFileSync(p, content);
  return p;
}

/** Every download the page starts from now on. */
function downloadsOf(page: Page): Download[] {
  const seen: Download[] = [];
  page.on("download", (d) => seen.push(d));
  return seen;
}

const fingerprintOf = (pem: Buffer | string) => createHash("sha256").update(createPublicKey(pem).export({ type: "spki", format: "der" })).digest("hex");

function unzipped(zip: string): Record<string, Buffer> {
  const out = fs.mkdtempSync(path.join(tmp, "unzip-"));
  execFileSync("unzip", ["-q", zip, "-d", out]);
  return Object.fromEntries(fs.readdirSync(out).map((name) => [name, fs.readFileSync(path.join(out, name))]));
}

describe("web page: every verb", () => {
  it("links every section from the nav", async () => {
    const { page } = await openPage(browser.context, web.url);
    const links = await page.$$eval("nav a", (as) => as.map((a) => a.getAttribute("href")));
    const sections = await page.$$eval("main > section", (ss) => ss.map((s) => `#${s.id}`));
    expect(links).toEqual(sections);
    expect(sections).toEqual(expect.arrayContaining(["#genkeys", "#rotate", "#check"]));
    await page.close();
  });

  it("generates a key pair whose public key the page encrypts for and whose private key opens it in the CLI", async () => {
    const { page, problems } = await openPage(browser.context, web.url);
    const generate = async (a: string, b: string) => {
      await page.fill("#gen-pass", a);
      await page.fill("#gen-pass2", b);
      await page.click("#gen-go");
    };
    await generate("", "");
    expect(await errorOf(page, "gen")).toBe('type a passphrase for the private key, twice (or tick "No passphrase")');
    await generate("correct horse battery", "correct horse batterY");
    expect(await errorOf(page, "gen")).toBe("the two passphrases differ: type the same passphrase twice");

    await page.fill("#gen-name", "room-b");
    await generate("short pass", "short pass");
    await page.locator("#gen-result .fingerprint").waitFor({ timeout: 240_000 });
    expect(await page.textContent("#gen-warning")).toMatch(/fewer than 12 characters/);
    expect(await page.inputValue("#gen-pass")).toBe("");
    const pub = await downloadFrom(page, '#gen-result a[download="room-b.pub.pem"]', tmp);
    const priv = await downloadFrom(page, '#gen-result a[download="room-b.priv.pem"]', tmp);
    const result = (await page.textContent("#gen-result")) ?? "";
    expect(result).toContain("RSA-3072");
    expect(result).toContain(`Fingerprint (bundles name their recipients by it): ${fingerprintOf(fs.readFileSync(pub.file))}`);
    expect(result).toMatch(/never on a testing-room machine/);
    expect(fs.readFileSync(priv.file, "utf8")).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);

    const data = pattern(70_000, 12);
    await page.setInputFiles("#enc-files", write("P031_s1.csv", data));
    await page.setInputFiles("#enc-keys", pub.file);
    const bundle = await downloadFrom(page, "#enc-go", tmp);
    const pass = path.join(tmp, "room-b.pass");
    fs.writeFileSync(pass, "short pass\n");
    expect(Buffer.compare(cliDecryptIn(tmp, bundle.file, { priv: priv.file }, pass), Buffer.from(data))).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  }, 300_000);

  it("rotates bundles to a new key: the old key is refused, the new one opens, the history keeps both", async () => {
    const { page, problems } = await openPage(browser.context, web.url);
    const data = pattern(150_000, 13);
    const bundle = cliBundleIn(tmp, "P040.csv", data, lab.pub, ["--note", "pilot"]);
    await page.setInputFiles("#rot-bundle", bundle);
    await page.setInputFiles("#rot-key", lab.priv);
    await page.setInputFiles("#rot-newkeys", other.pub);
    const rotated = await downloadFrom(page, "#rot-go", tmp);
    expect(rotated.name).toBe("P040.csv.enc");
    const shown = (await page.textContent("#rot-result")) ?? "";
    expect(shown).toContain(`now for ${fingerprintOf(other.pubPem).slice(0, 16)}`);
    expect(shown).toContain(`before: ${fingerprintOf(lab.pubPem).slice(0, 16)}`);

    const refused = cli(["decrypt", rotated.file, "--privkey", lab.priv, "--out", path.join(tmp, "no")], tmp);
    expect(refused.status).toBe(1);
    expect(refused.stderr.toString()).toMatch(/not a recipient/);
    expect(Buffer.compare(cliDecryptIn(tmp, rotated.file, other), Buffer.from(data))).toBe(0);
    const info = JSON.parse(cli(["info", rotated.file, "--json"], tmp).stdout.toString()) as { meta: { note: string; recipients: { fingerprint: string }[]; history: { recipients: { fingerprint: string }[]; rotated: string }[] } };
    expect(info.meta.note).toBe("pilot");
    expect(info.meta.recipients.map((r) => r.fingerprint)).toEqual([fingerprintOf(other.pubPem)]);
    expect(info.meta.history.map((h) => h.recipients.map((r) => r.fingerprint))).toEqual([[fingerprintOf(lab.pubPem)]]);
    expect(info.meta.history[0]?.rotated).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("decrypts several bundles in one run: one zip download, same names told apart, a non-bundle listed", async () => {
    const { page, problems } = await openPage(browser.context, web.url);
    const a = pattern(40_000, 1);
    const b = pattern(1, 2);
    const a2 = pattern(50_000, 3);
    const bundles = [cliBundleIn(tmp, "a.csv", a, lab.pub), cliBundleIn(tmp, "b.csv", b, lab.pub), cliBundleIn(tmp, "a.csv", a2, lab.pub)];
    const notes = write("notes.txt", "not a bundle\n".repeat(50));
    const downloads = downloadsOf(page);
    await page.setInputFiles("#dec-bundle", [...bundles, notes]);
    await page.setInputFiles("#dec-key", lab.priv);
    const zip = await downloadFrom(page, "#dec-go", tmp);
    expect(zip.name).toBe("decrypted-3-files.zip");
    const files = unzipped(zip.file);
    expect(Object.keys(files).sort()).toEqual(["a (2).csv", "a.csv", "b.csv"]);
    expect(Buffer.compare(files["a.csv"] ?? Buffer.alloc(0), Buffer.from(a))).toBe(0);
    expect(Buffer.compare(files["a (2).csv"] ?? Buffer.alloc(0), Buffer.from(a2))).toBe(0);
    expect(Buffer.compare(files["b.csv"] ?? Buffer.alloc(0), Buffer.from(b))).toBe(0);
    expect(await page.textContent("#dec-error")).toBe("notes.txt is not an opensslwrap bundle");
    expect(await page.locator("#dec-result .downloads li").count()).toBe(3);
    expect(await page.textContent("#dec-result")).toContain("(1 byte)");
    await page.waitForTimeout(500);
    expect(downloads).toHaveLength(1); // Chrome asks before a second automatic download

    // Encrypting several files: one zip of their bundles, each opening in the CLI.
    await page.setInputFiles("#enc-files", [write("x.bin", a), write("y.bin", a2)]);
    await page.setInputFiles("#enc-keys", lab.pub);
    const encZip = await downloadFrom(page, "#enc-go", tmp);
    expect(encZip.name).toBe("encrypted-2-files.zip");
    const encrypted = unzipped(encZip.file);
    expect(Object.keys(encrypted).sort()).toEqual(["x.bin.enc", "y.bin.enc"]);
    const saved = path.join(tmp, "y.bin.enc");
    fs.writeFileSync(saved, encrypted["y.bin.enc"] ?? Buffer.alloc(0));
    expect(Buffer.compare(cliDecryptIn(tmp, saved, lab), Buffer.from(a2))).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("decrypts only a bundle signed by each required signer, as decrypt --signer does", async () => {
    const bundle = cliBundleIn(tmp, "signed.csv", pattern(20_000, 7), lab.pub, ["--sign-with", other.priv]);
    const { page, problems } = await openPage(browser.context, web.url);
    await page.setInputFiles("#dec-bundle", bundle);
    await page.setInputFiles("#dec-key", lab.priv);
    // Required: the lab's key, which did not sign it (the other key did): refused, nothing kept.
    await page.setInputFiles("#dec-signers", lab.pub);
    await page.click("#dec-go");
    expect(await errorOf(page, "dec")).toBe(`not signed by SHA256:${fingerprintOf(lab.pubPem)}: the bundle has no signature by this key`);
    expect(await page.textContent("#dec-result")).toBe("");
    await expect.poll(async () => Object.values(await opfsFiles(page)).flat()).toEqual([]);
    // Required: its signer's key.
    await page.setInputFiles("#dec-signers", other.pub);
    const plain = await downloadFrom(page, "#dec-go", tmp);
    expect(Buffer.compare(fs.readFileSync(plain.file), Buffer.from(pattern(20_000, 7)))).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("clears the last result, and its stored copy, when new input is chosen", async () => {
    const { page } = await openPage(browser.context, web.url);
    await page.setInputFiles("#dec-bundle", cliBundleIn(tmp, "c.csv", pattern(10_000, 4), lab.pub));
    await page.setInputFiles("#dec-key", lab.priv);
    await downloadFrom(page, "#dec-go", tmp);
    expect(Object.values(await opfsFiles(page)).flat()).toHaveLength(1);
    await page.setInputFiles("#dec-bundle", cliBundleIn(tmp, "d.csv", pattern(10_000, 5), lab.pub));
    expect(await page.textContent("#dec-result")).toBe("");
    await expect.poll(async () => Object.values(await opfsFiles(page)).flat()).toEqual([]);
    await page.close();
  });

  it("says a text file given as a signature is not one", async () => {
    const { page } = await openPage(browser.context, web.url);
    await page.setInputFiles("#ver-file", write("report.pdf", pattern(5000, 6)));
    await page.setInputFiles("#ver-key", lab.pub);
    await page.setInputFiles("#ver-sig", write("notes.sig", "this is my signature, honest\n"));
    await page.click("#ver-go");
    expect(await errorOf(page, "ver")).toBe("notes.sig is not a signature (an RSA-2048 signature is 256 bytes, as base64 text or raw; this file gives 29)");
    expect(await page.textContent("#ver-result")).toBe("");
    await page.close();
  });
});
