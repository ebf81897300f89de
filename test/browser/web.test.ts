import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/cli/serve.js";
import { cli } from "../helpers/cli.js";
import { byteDiff, flipped, pattern, sameBytes } from "../helpers/data.js";
import { hostKey, type TestKey } from "../helpers/keys.js";
import { ARTIFACTS, PACKAGE_ROOT, WEB_DIST, cliBundleIn, cliDecryptIn, downloadFrom, errorOf, launchBrowser, opfsFiles, openPage, requireBuild, type Browser } from "./helpers.js";

/**
 * The browser build in headless Chromium: the library bundle's engine and self-test, and the web
 * page end to end against the Node CLI (bundles made in one open in the other), its errors, its
 * streaming path for large files, and that it makes no network request after loading.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-browser-"));
let web: RunningServer;
let lib: RunningServer;
let browser: Browser;
let lab: TestKey;
let pi: TestKey;
let other: TestKey;
let weak: TestKey;

beforeAll(async () => {
  requireBuild();
  lab = hostKey(tmp, "lab");
  pi = hostKey(tmp, "pi", 2048, "pi secret");
  other = hostKey(tmp, "other");
  weak = hostKey(tmp, "weak", 1024);
  fs.writeFileSync(path.join(tmp, "pi.pass"), "pi secret\n");
  web = await startServer({ root: WEB_DIST, port: 0 });
  // The package's layout as a bundler or static host sees it: the library bundle loads ../../wasm/.
  lib = await startServer({ root: PACKAGE_ROOT, port: 0 });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await lib?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function write(name: string, content: Uint8Array | string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, content);
  return p;
}

const cliBundle = (name: string, content: Uint8Array, pub: string, extra: string[] = []) => cliBundleIn(tmp, name, content, pub, extra);
const cliDecrypt = (bundle: string, key: TestKey, pass = false) => cliDecryptIn(tmp, bundle, key, pass ? path.join(tmp, "pi.pass") : undefined);

describe("browser library (dist/browser/opensslwrap.js)", () => {
  it("runs the self-test and known answers in Chromium on the package's wasm/, and refuses a wasm that is not the pinned one", async () => {
    const { page, problems, requests } = await openPage(browser.context, `${lib.url}dist/web/index.html`);
    // A string, so that the test transform leaves the dynamic import for the browser to run.
    const r = (await page.evaluate(`(async () => {
      const m = await import("/dist/browser/opensslwrap.js");
      const e = await import("/dist/browser/openssl.js");
      const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
      const unhex = (h) => Uint8Array.from(h.match(/../g), (x) => parseInt(x, 16));
      const lines = [];
      const ok = await m.selftest((l) => lines.push(l));
      const abc = hex(await e.digest(e.openssl, new TextEncoder().encode("abc")));
      const ctr = hex(await e.enc(e.openssl, {
        input: unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"),
        cipher: "aes-256-ctr",
        key: { key: unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"), iv: unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff") },
      }));
      const version = await e.openssl.version();
      e.configureEngine({ wasmUrl: "/wasm/manifest.json" });
      let refused = "";
      try { await e.openssl.version(); } catch (x) { refused = x.name + ": " + x.message; }
      e.configureEngine();
      const again = await e.openssl.version();
      return { ok, lines, abc, ctr, version, refused, again };
    })()`)) as { ok: boolean; lines: string[]; abc: string; ctr: string; version: string; refused: string; again: string };
    expect(r.lines.at(-1)).toBe("test SUCCESS, reporting complete");
    expect(r.ok).toBe(true);
    expect(r.abc).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // NIST SP 800-38A F.5.5 CTR-AES256.Encrypt, four blocks.
    expect(r.ctr).toBe("601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6");
    expect(r.version).toMatch(/^OpenSSL 3\.5\.7 /);
    expect(r.refused).toMatch(/^EngineIntegrityError: openssl\.wasm sha256 [0-9a-f]{64} does not match the manifest's [0-9a-f]{64}/);
    expect(r.again).toBe(r.version);
    expect(requests.map((q) => new URL(q.url()).pathname)).toContain("/wasm/openssl.wasm");
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe("web page", () => {
  it("encrypts for the CLI and decrypts its own bundle, with no request after loading", async () => {
    const { page, requests, problems } = await openPage(browser.context, web.url);
    const origin = new URL(web.url).origin;
    const loaded = requests.map((r) => `${r.method()} ${r.url().replace(origin, "")}`);
    // The MAC worker starts with the engine (the page is cross-origin isolated), not with the first big file.
    expect(new Set(loaded)).toEqual(new Set(["GET /", "GET /style.css", "GET /app.js", "GET /favicon.svg", "GET /worker.js", "GET /mac-worker.js", "GET /openssl.wasm"]));
    expect(await page.getAttribute("#engine", "data-storage")).toBe("opfs");
    expect(await page.getAttribute("#engine", "data-threads")).toBe("second worker");
    const mark = requests.length;

    const data = pattern(300_000, 7);
    const dataPath = write("P007_s1.csv", data);
    await page.setInputFiles("#enc-files", dataPath);
    await page.setInputFiles("#enc-keys", [lab.pub, pi.pub]);
    await page.fill("#enc-note", "session 1, room B");
    const bundle = await downloadFrom(page, "#enc-go", tmp);
    expect(bundle.name).toBe("P007_s1.csv.enc");
    expect(await page.textContent("#enc-warning")).toContain("3072 or more is recommended");
    expect(byteDiff(cliDecrypt(bundle.file, lab), data)).toEqual(sameBytes(data));
    expect(byteDiff(cliDecrypt(bundle.file, pi, true), data)).toEqual(sameBytes(data));
    const info = JSON.parse(cli(["info", bundle.file, "--json"], tmp).stdout.toString()) as { meta: { file: { name: string }; note: string; platform: string } };
    expect(info.meta.file.name).toBe("P007_s1.csv");
    expect(info.meta.note).toBe("session 1, room B");
    expect(info.meta.platform).toMatch(/^browser Chrome\//);

    await page.setInputFiles("#dec-bundle", bundle.file);
    await page.setInputFiles("#dec-key", pi.priv);
    await page.fill("#dec-pass", "pi secret");
    const plain = await downloadFrom(page, "#dec-go", tmp);
    expect(plain.name).toBe("P007_s1.csv");
    expect(byteDiff(fs.readFileSync(plain.file), data)).toEqual(sameBytes(data));

    expect(requests.slice(mark).map((r) => r.url())).toEqual([]);
    expect(problems).toEqual([]);

    // Outputs live in this page's OPFS folder until the section runs again, then are removed.
    const before = Object.values(await opfsFiles(page)).flat();
    expect(before).toHaveLength(2);
    const again = await downloadFrom(page, "#enc-go", tmp);
    expect(byteDiff(cliDecrypt(again.file, lab), data)).toEqual(sameBytes(data));
    await expect.poll(async () => Object.values(await opfsFiles(page)).flat().filter((f) => before.includes(f))).toHaveLength(1);
    await page.close();
    // Once the page is gone (its worker's Web Lock released), the next page's worker removes its folder.
    const probe = await browser.context.newPage();
    await probe.goto(`${web.url}favicon.svg`);
    await expect.poll(async () => probe.evaluate(`navigator.locks.query().then((s) => s.held.filter((l) => l.name.startsWith("opensslwrap-session-")).length)`)).toBe(0);
    await probe.close();
    const next = await openPage(browser.context, web.url);
    const left = await opfsFiles(next.page);
    expect(Object.keys(left)).toHaveLength(1);
    expect(Object.values(left).flat()).toEqual([]);
    await next.page.close();
  });

  it("decrypts a CLI bundle to its original name, and opens a bundle for the CLI's key with --no-name", async () => {
    const { page, problems } = await openPage(browser.context, web.url);
    const data = pattern(100_000, 11);
    const bundle = cliBundle("results.bin", data, pi.pub);
    await page.setInputFiles("#dec-bundle", bundle);
    await page.setInputFiles("#dec-key", pi.priv);
    await page.fill("#dec-pass", "pi secret");
    const plain = await downloadFrom(page, "#dec-go", tmp);
    expect(plain.name).toBe("results.bin");
    expect(byteDiff(fs.readFileSync(plain.file), data)).toEqual(sameBytes(data));

    const unnamed = cliBundle("secret-id-42.csv", data, lab.pub, ["--no-name"]);
    await page.setInputFiles("#dec-bundle", unnamed);
    await page.setInputFiles("#dec-key", lab.priv);
    await page.fill("#dec-pass", "");
    const fallback = await downloadFrom(page, "#dec-go", tmp);
    expect(fallback.name).toBe("secret-id-42.csv"); // the bundle's name without .enc
    expect(byteDiff(fs.readFileSync(fallback.file), data)).toEqual(sameBytes(data));
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows the CLI's one-line refusals", async () => {
    const { page } = await openPage(browser.context, web.url);
    const data = pattern(50_000, 3);
    const bundle = cliBundle("d.bin", data, pi.pub);
    const decryptWith = async (key: string, pass: string, file = bundle) => {
      await page.setInputFiles("#dec-bundle", file);
      await page.setInputFiles("#dec-key", key);
      await page.fill("#dec-pass", pass);
      await page.click("#dec-go");
      return errorOf(page, "dec");
    };
    const bytes = fs.readFileSync(bundle);
    const tampered = write("tampered.enc", flipped(bytes, bytes.length - 30_000));
    const cases: [() => Promise<string>, RegExp][] = [
      [() => decryptWith(pi.priv, "wrong"), /^wrong passphrase for the private key$/],
      [() => decryptWith(pi.priv, ""), /passphrase-protected: a passphrase is needed/],
      [() => decryptWith(other.priv, ""), /^wrong private key: this key \([0-9a-f]{16}\.\.\.\) is not a recipient; recipients: [0-9a-f]{64}$/],
      [() => decryptWith(lab.pub, ""), /public key was given where a private key is needed/],
      [() => decryptWith(pi.priv, "pi secret", tampered), /altered or corrupted/],
      [() => decryptWith(pi.priv, "pi secret", write("notes.txt", "just some text\n".repeat(100))), /^notes\.txt is not an opensslwrap bundle$/],
    ];
    for (const [run, message] of cases) {
      const text = await run();
      expect(text).toMatch(message);
      expect(text).not.toContain("\n");
      expect(await page.locator("#dec-result").textContent()).toBe("");
    }

    await page.setInputFiles("#enc-files", write("e.txt", "data"));
    await page.setInputFiles("#enc-keys", weak.pub);
    await page.click("#enc-go");
    expect(await errorOf(page, "enc")).toBe("RSA key too short: 1024 bits (at least 2048 required)");
    await page.setInputFiles("#enc-keys", lab.priv);
    await page.click("#enc-go");
    expect(await errorOf(page, "enc")).toMatch(/private key was given where a public key is expected/);

    await page.setInputFiles("#info-bundle", write("random.bin", pattern(4096, 5)));
    expect(await errorOf(page, "info")).toBe("random.bin is not an opensslwrap bundle");
    await page.close();
  });

  it("shows a bundle's meta-data without a key", async () => {
    const { page } = await openPage(browser.context, web.url);
    const bundle = cliBundle("P012_s2.csv", pattern(1000, 2), lab.pub, ["--note", "pilot run"]);
    const info = JSON.parse(cli(["info", bundle, "--json"], tmp).stdout.toString()) as { recipients: string[] };
    await page.setInputFiles("#info-bundle", bundle);
    await page.locator("#info-result dl").waitFor();
    const shown = (await page.textContent("#info-result")) ?? "";
    expect(shown).toContain("P012_s2.csv");
    expect(shown).toContain("pilot run");
    expect(shown).toContain(`${info.recipients[0]} (RSA 2048 bits)`);

    // Dropping files on a zone chooses them (a synthetic drop with page-made files).
    await page.evaluate(`(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["hello"], "dropped.csv"));
      dt.items.add(new File(["world!"], "second.csv"));
      dt.items.add(new File(["!"], "one.csv"));
      document.querySelector("label[for=enc-files]").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    })()`);
    expect(await page.textContent("#enc-files-chosen")).toBe("dropped.csv (5 bytes), second.csv (6 bytes), one.csv (1 byte)");
    await page.close();
  });

  it("signs and verifies, interoperable with the CLI and a stock openssl", async () => {
    const { page } = await openPage(browser.context, web.url);
    const doc = write("report.pdf", pattern(200_000, 9));
    await page.setInputFiles("#sign-file", doc);
    await page.setInputFiles("#sign-key", pi.priv);
    await page.fill("#sign-pass", "pi secret");
    const sig = await downloadFrom(page, "#sign-go", tmp);
    expect(sig.name).toBe("report.pdf.sig");
    expect(cli(["verify", doc, "--pubkey", pi.pub, "--sig", sig.file], tmp).status).toBe(0);
    const raw = write("report.sig.bin", Buffer.from(fs.readFileSync(sig.file, "latin1").trim(), "base64"));
    execFileSync("openssl", ["dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest", "-verify", pi.pub, "-signature", raw, doc], { stdio: "pipe" });

    const cliSig = path.join(tmp, "report.cli.sig");
    expect(cli(["sign", doc, "--privkey", lab.priv, "--out", cliSig], tmp).status).toBe(0);
    const pkcs1 = path.join(tmp, "report.pkcs1.bin");
    execFileSync("openssl", ["dgst", "-sha256", "-sign", lab.priv, "-out", pkcs1, doc]);
    const verdict = async (file: string, key: string, signature: string) => {
      await page.setInputFiles("#ver-file", file);
      await page.setInputFiles("#ver-key", key);
      await page.setInputFiles("#ver-sig", signature);
      await page.click("#ver-go");
      return page.locator("#ver-result .verdict").textContent();
    };
    expect(await verdict(doc, lab.pub, cliSig)).toMatch(/^verified/);
    expect(await verdict(doc, lab.pub, pkcs1)).toMatch(/^verified/);
    expect(await verdict(write("report2.pdf", flipped(fs.readFileSync(doc), 100)), lab.pub, cliSig)).toMatch(/^NOT verified/);
    expect(await verdict(doc, other.pub, cliSig)).toMatch(/^NOT verified: the signature does not match/);
    const junk = write("report.junk.sig", Buffer.concat([fs.readFileSync(pkcs1), Buffer.from("JUNK")]));
    expect(await verdict(doc, lab.pub, junk)).toBe("NOT verified: signature is 260 bytes; this key's signatures are 256");
    await page.close();
  });

  it("streams a 20 MB file through the worker with progress to 100%", async () => {
    const { page, problems } = await openPage(browser.context, web.url);
    const big = write("recording.bin", pattern(20 << 20, 21));
    await page.evaluate(`(() => {
      window.__progress = [];
      const bar = document.getElementById("enc-progress");
      new MutationObserver(() => window.__progress.push(Number(bar.value))).observe(bar, { attributes: true, attributeFilter: ["value"] });
    })()`);
    await page.setInputFiles("#enc-files", big);
    await page.setInputFiles("#enc-keys", lab.pub);
    const started = Date.now();
    const bundle = await downloadFrom(page, "#enc-go", tmp);
    const seconds = (Date.now() - started) / 1000;
    const seen = (await page.evaluate("window.__progress")) as number[];
    expect(seen.at(-1)).toBe(100);
    expect(seen.filter((v) => v > 0 && v < 100).length).toBeGreaterThan(3);
    expect(seen).toEqual([...seen].sort((a, b) => a - b)); // never goes back
    expect(await page.textContent("#enc-progress-text")).toMatch(/100%$/);
    expect(fs.statSync(bundle.file).size).toBeGreaterThan(20 << 20);
    const original = fs.readFileSync(big);
    expect(byteDiff(cliDecrypt(bundle.file, lab), original)).toEqual(sameBytes(original));
    expect(problems).toEqual([]);
    const largestStep = Math.max(...seen.map((v, i) => v - (seen[i - 1] ?? 0)));
    expect(largestStep).toBeLessThan(34); // the bar moves through the whole run, not in a final jump
    console.log(`browser: 20 MiB encrypted, checked and downloaded in ${seconds.toFixed(1)} s; ${seen.length} progress updates, largest step ${largestStep}%`);

    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.screenshot({ path: path.join(ARTIFACTS, "web.png"), fullPage: true });
    await page.close();
  });
});
