import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptBytes, encryptBytes } from "../src/index.js";
import { runOpenSSL } from "../src/openssl-api.js";
import { startServer, type RunningServer } from "../src/cli/serve.js";
import { setTestSource } from "../src/openssl/test-seam.js";
import { launchBrowser, type Browser } from "./browser/helpers.js";
import { B_PRIV, computeGolden, FIXED_COMMANDS, goldenPlaintext } from "./golden/vector.js";

/**
 * Node, Deno and Chromium, given the same inputs and the same injected randomness (a test-only
 * seam, not reachable from the package's entry points), make the same bytes: the bundle and
 * OpenSSL's own outputs. Each runtime's bundle opens on the others and with stock openssl.
 */
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SCRIPT = path.join(ROOT, "scripts/decrypt-with-openssl.sh");
const PORTABLE_GOLDEN = path.join(ROOT, "test/portable/golden");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-golden-"));
type Golden = { hashes: Record<string, string>; bundle: Uint8Array };
const results: Record<string, Golden> = {};
let server: RunningServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  results["node"] = await computeGolden({ encryptBytes, runOpenSSL, setTestSource });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function decryptsEverywhere(g: Golden, who: string): void {
  const file = path.join(tmp, `${who}.enc`);
  fs.writeFileSync(file, g.bundle);
  fs.writeFileSync(path.join(tmp, "b.pem"), B_PRIV, { mode: 0o600 });
  const r = spawnSync("sh", [SCRIPT, file, path.join(tmp, "b.pem"), path.join(tmp, `${who}.out`)]);
  expect(r.status, r.stderr.toString()).toBe(0);
}

describe("the golden vector", () => {
  it("is reproducible in Node, and its bundle opens with opensslwrap and stock openssl", async () => {
    const node = results["node"];
    if (node === undefined) throw new Error("no Node result");
    expect(await computeGolden({ encryptBytes, runOpenSSL, setTestSource })).toEqual(node);
    const { plaintext } = await decryptBytes(node.bundle, { privateKey: { key: new TextEncoder().encode(B_PRIV) } });
    expect(plaintext.length).toBe(100_003);
    decryptsEverywhere(node, "node");
  });

  it("is the portable suite's fixture (test/portable/golden/: the bundle, the keys, the fixed commands and their hashes)", async () => {
    const node = results["node"];
    if (node === undefined) throw new Error("no Node result");
    const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
    const fixture = {
      about: "The golden vector of test/golden/vector.ts for the portable suite; written by OPENSSLWRAP_WRITE_GOLDEN=1 npx vitest run test/golden.test.ts",
      name: "golden.bin",
      note: "golden vector",
      plaintextSha256: sha(goldenPlaintext()),
      privateKey: B_PRIV,
      commands: Object.fromEntries(Object.entries(FIXED_COMMANDS).map(([name, argv]) => [name, { argv, sha256: node.hashes[name] }])),
    };
    if (process.env["OPENSSLWRAP_WRITE_GOLDEN"] === "1") {
      fs.writeFileSync(path.join(PORTABLE_GOLDEN, "golden.json"), `${JSON.stringify(fixture, null, 2)}\n`);
      fs.writeFileSync(path.join(PORTABLE_GOLDEN, "golden.enc"), node.bundle);
    }
    expect(JSON.parse(fs.readFileSync(path.join(PORTABLE_GOLDEN, "golden.json"), "utf8"))).toEqual(fixture);
    // The committed bundle is an earlier run of the same vector: byte-identical while the format holds.
    expect(sha(fs.readFileSync(path.join(PORTABLE_GOLDEN, "golden.enc")))).toBe(node.hashes["bundle"]);
  });

  it("is the same under Deno", () => {
    const deno = path.join(ROOT, "node_modules/.bin/deno");
    const r = spawnSync(deno, ["run", "--quiet", `--allow-read=${ROOT}`, "--allow-env", path.join(ROOT, "test/golden/deno-golden.ts")], { encoding: "utf8", maxBuffer: 1 << 26 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { hashes: Record<string, string>; bundle: string };
    const g = { hashes: out.hashes, bundle: new Uint8Array(Buffer.from(out.bundle, "base64")) };
    expect(g.hashes).toEqual(results["node"]?.hashes);
    decryptsEverywhere(g, "deno");
  });

  it("is the same in Chromium", async () => {
    const site = path.join(tmp, "site");
    fs.mkdirSync(site);
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "wasm/manifest.json"), "utf8")) as { wasm: { sha256: string } };
    await build({
      entryPoints: [path.join(ROOT, "test/golden/browser-golden.ts")],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      outfile: path.join(site, "golden.js"),
      define: { __OPENSSLWRAP_WASM_SHA256__: JSON.stringify(manifest.wasm.sha256) },
      logLevel: "silent",
    });
    fs.copyFileSync(path.join(ROOT, "wasm/openssl.wasm"), path.join(site, "openssl.wasm"));
    fs.writeFileSync(path.join(site, "index.html"), '<!doctype html><meta charset="utf-8"><title>golden</title><script type="module" src="golden.js"></script>');
    server = await startServer({ root: site, port: 0 });
    browser = await launchBrowser();
    const page = await browser.context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => "golden" in globalThis);
    const out = await page.evaluate(() => (globalThis as unknown as { golden: () => Promise<{ hashes: Record<string, string>; bundle: number[] }> }).golden());
    const g = { hashes: out.hashes, bundle: Uint8Array.from(out.bundle) };
    expect(g.hashes).toEqual(results["node"]?.hashes);
    decryptsEverywhere(g, "chromium");
  }, 120_000);
});
