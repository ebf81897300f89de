#!/usr/bin/env node
// Builds the light encryptor for online studies with esbuild:
//   src/upload/index.ts -> dist/upload/opensslwrap-upload.js      (the package's "./upload" export)
//                       -> dist/upload/opensslwrap-upload.min.js  (minified, to copy into a study's page)
// It must stay free of the wasm engine and of Node: the build fails if anything outside the
// modules listed in ALLOWED reaches it, or if the minified file grows past BUDGET bytes.
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { noNode } from "./esbuild-no-node.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const at = (...p) => path.join(root, ...p);

/** Every module the encryptor may contain: its own, and the runtime-neutral format helpers. */
const ALLOWED = /^src\/(upload\/[\w-]+|bundle\/(errors|header|meta|tar)|openssl\/hex|runtime\/browser\/platform|version)\.ts$/;
const BUDGET = 30 * 1024;

function fail(message) {
  console.error(`build-upload: ${message}`);
  process.exit(1);
}

const common = {
  entryPoints: [at("src", "upload", "index.ts")],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  logLevel: "warning",
  charset: "utf8",
  plugins: [noNode],
  metafile: true,
};
const outputs = [
  { outfile: at("dist", "upload", "opensslwrap-upload.js"), legalComments: "inline" },
  { outfile: at("dist", "upload", "opensslwrap-upload.min.js"), minify: true, legalComments: "none" },
];

for (const options of outputs) {
  let result;
  try {
    result = await esbuild.build({ ...common, ...options });
  } catch {
    fail("bundling src/upload/index.ts failed (see above)");
  }
  const inputs = Object.keys(result.metafile.inputs);
  const outside = inputs.filter((f) => !ALLOWED.test(f));
  if (outside.length > 0) fail(`the upload encryptor must not include ${outside.join(", ")}`);
  if (process.argv.includes("--graph") && options.minify !== true) console.log(`build-upload: modules: ${inputs.join(", ")}`);
}

const min = fs.readFileSync(outputs[1].outfile);
const gzip = gzipSync(min, { level: 9 }).length;
if (min.length > BUDGET) fail(`dist/upload/opensslwrap-upload.min.js is ${min.length} bytes, over its budget of ${BUDGET}`);
console.log(`build-upload: dist/upload/opensslwrap-upload.min.js ${min.length} bytes (${gzip} gzipped), dist/upload/opensslwrap-upload.js`);
