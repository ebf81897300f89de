#!/usr/bin/env node
// Builds the browser library and the static web page with esbuild:
//   src/browser.ts -> dist/browser/opensslwrap.js (loads the package's own wasm/openssl.wasm)
//   src/browser-openssl.ts -> dist/browser/openssl.js (the `opensslwrap/openssl` subpath, the same engine)
//   web/app.ts     -> dist/web/app.js
//   web/worker.ts  -> dist/web/worker.js (loads openssl.wasm next to the page)
//   src/runtime/browser/mac-worker.ts -> dist/web/mac-worker.js and dist/browser/mac-worker.js
//   web/index.html, web/style.css, web/favicon.svg, wasm/openssl.wasm, wasm/manifest.json -> dist/web/
// dist/web/ is the complete static site of the repo; the npm package leaves its wasm copy out
// (package.json "files") and `opensslwrap serve` hands out the package's wasm/ instead, so the
// engine ships once. The wasm's sha256 from wasm/manifest.json is built into the bundles (checked
// here first), and any Node import reaching a browser bundle fails the build.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { noNode } from "./esbuild-no-node.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const at = (...p) => path.join(root, ...p);

function fail(message) {
  console.error(`build-web: ${message}`);
  process.exit(1);
}

const manifest = JSON.parse(fs.readFileSync(at("wasm", "manifest.json"), "utf8"));
const sha256 = manifest?.wasm?.sha256;
if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) fail("wasm/manifest.json has no wasm.sha256");
if (!fs.existsSync(at("wasm", "openssl.wasm"))) fail("wasm/openssl.wasm is missing (npm install builds it; or npm run build:wasm)");
const actual = createHash("sha256").update(fs.readFileSync(at("wasm", "openssl.wasm"))).digest("hex");
if (actual !== sha256) fail(`wasm/openssl.wasm sha256 ${actual} is not the manifest's ${sha256}`);

const common = {
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  logLevel: "warning",
  legalComments: "inline",
  charset: "utf8",
  define: { __OPENSSLWRAP_WASM_SHA256__: JSON.stringify(sha256) },
  plugins: [noNode],
  metafile: true,
};

const builds = [
  // Each bundle's path to the engine, relative to the bundle itself.
  { entryPoints: [at("src", "browser.ts")], outfile: at("dist", "browser", "opensslwrap.js"), wasmPath: "../../wasm/openssl.wasm" },
  { entryPoints: [at("src", "browser-openssl.ts")], outfile: at("dist", "browser", "openssl.js"), wasmPath: "../../wasm/openssl.wasm" },
  { entryPoints: [at("web", "app.ts")], outfile: at("dist", "web", "app.js"), wasmPath: "./openssl.wasm" },
  { entryPoints: [at("web", "worker.ts")], outfile: at("dist", "web", "worker.js"), wasmPath: "./openssl.wasm" },
  { entryPoints: [at("src", "runtime", "browser", "mac-worker.ts")], outfile: at("dist", "web", "mac-worker.js"), wasmPath: "./openssl.wasm" },
  { entryPoints: [at("src", "runtime", "browser", "mac-worker.ts")], outfile: at("dist", "browser", "mac-worker.js"), wasmPath: "../../wasm/openssl.wasm" },
];

fs.rmSync(at("dist", "web"), { recursive: true, force: true });
fs.rmSync(at("dist", "browser"), { recursive: true, force: true });

for (const { wasmPath, ...options } of builds) {
  let result;
  try {
    result = await esbuild.build({ ...common, ...options, define: { ...common.define, __OPENSSLWRAP_WASM_PATH__: JSON.stringify(wasmPath) } });
  } catch {
    fail(`bundling ${path.relative(root, options.entryPoints[0])} failed (see above)`);
  }
  // Belt and braces: no Node adapter may have been pulled in by a relative import either.
  const nodeAdapters = Object.keys(result.metafile.inputs).filter((f) => /src\/runtime\/node\/|src\/verbs\/node|src\/cli\//.test(f));
  if (nodeAdapters.length > 0) fail(`${path.relative(root, options.outfile)} includes Node-only code: ${nodeAdapters.join(", ")}`);
}

const copies = [
  [at("web", "index.html"), at("dist", "web", "index.html")],
  [at("web", "style.css"), at("dist", "web", "style.css")],
  [at("web", "favicon.svg"), at("dist", "web", "favicon.svg")],
  [at("wasm", "openssl.wasm"), at("dist", "web", "openssl.wasm")],
  [at("wasm", "manifest.json"), at("dist", "web", "manifest.json")],
];
for (const [from, to] of copies) {
  fs.copyFileSync(from, to);
  fs.chmodSync(to, 0o644);
}

const size = (f) => `${(fs.statSync(f).size / 1024).toFixed(0)} KiB`;
console.log(`build-web: dist/browser/opensslwrap.js ${size(at("dist", "browser", "opensslwrap.js"))}, dist/web/ (app.js ${size(at("dist", "web", "app.js"))}, worker.js ${size(at("dist", "web", "worker.js"))}, openssl.wasm ${size(at("dist", "web", "openssl.wasm"))})`);
