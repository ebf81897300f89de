#!/usr/bin/env node
// Measures opensslwrap/upload as a study page gets it (not a test; run after npm run build:upload):
//   - page weight: dist/upload/opensslwrap-upload.min.js, as is and gzipped
//   - time to encrypt 10 KB, 1 MB and 20 MB in headless Chromium (data already in memory, to a
//     Blob; one RSA-3072 recipient), median of ROUNDS runs after one warm-up run
//
//   node scripts/measure-upload.mjs [--rounds N]      ($OPENSSLWRAP_CHROMIUM, default /usr/bin/chromium)
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bundle = path.join(root, "dist", "upload", "opensslwrap-upload.min.js");
if (!fs.existsSync(bundle)) {
  console.error("measure-upload: dist/upload/opensslwrap-upload.min.js is missing: run npm run build:upload");
  process.exit(1);
}
const rounds = Number(parseArgs({ options: { rounds: { type: "string", default: "5" } } }).values.rounds);
const SIZES = [10_000, 1_000_000, 20_000_000];

const min = fs.readFileSync(bundle);
console.log(`page weight: ${min.length} bytes minified, ${gzipSync(min, { level: 9 }).length} bytes gzipped (level 9)`);

// The page: the encryptor, a fresh RSA-3072 key made by Web Crypto, and a timing function.
const page = `<!doctype html><meta charset="utf-8"><script type="module">
import { encryptForUpload } from "./upload.js";
const pair = await crypto.subtle.generateKey({ name: "RSA-OAEP", modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["encrypt", "decrypt"]);
const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
const pem = "-----BEGIN PUBLIC KEY-----\\n" + btoa(String.fromCharCode(...spki)) + "\\n-----END PUBLIC KEY-----\\n";
globalThis.timeEncrypt = async (size) => {
  const data = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) crypto.getRandomValues(data.subarray(at, Math.min(size, at + 65536)));
  const start = performance.now();
  const blob = await encryptForUpload(data, { publicKeys: [pem] });
  return { ms: performance.now() - start, bundle: blob.size };
};
</script>`;
const server = http.createServer((req, res) => {
  if (req.url === "/upload.js") res.writeHead(200, { "Content-Type": "text/javascript" }).end(min);
  else res.writeHead(200, { "Content-Type": "text/html" }).end(page);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));

const profile = fs.mkdtempSync(path.join(os.tmpdir(), "osw-measure-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.OPENSSLWRAP_CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const tab = await context.newPage();
  tab.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  await tab.goto(`http://127.0.0.1:${server.address().port}/`);
  await tab.waitForFunction(() => "timeEncrypt" in globalThis);
  console.log(`Chromium ${context.browser()?.version() ?? ""}, ${os.cpus()[0]?.model ?? "unknown CPU"}; median of ${rounds} runs after a warm-up:`);
  for (const size of SIZES) {
    const times = [];
    let bytes = 0;
    for (let i = 0; i <= rounds; i++) {
      const r = await tab.evaluate((n) => globalThis.timeEncrypt(n), size);
      if (i > 0) times.push(r.ms);
      bytes = r.bundle;
    }
    times.sort((a, b) => a - b);
    console.log(`  ${String(size).padStart(10)} bytes: ${times[Math.floor(times.length / 2)].toFixed(1)} ms (min ${times[0].toFixed(1)}, max ${times.at(-1).toFixed(1)}), bundle ${bytes} bytes`);
  }
} finally {
  await context.close();
  server.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
