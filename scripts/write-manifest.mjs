#!/usr/bin/env node
// Writes wasm/manifest.json for scripts/build-wasm.sh (no npm dependencies).
//
// Usage: node scripts/write-manifest.mjs <manifest.json> --key=value ...
//   --configure=ARG and --patch=FILE may be repeated (order is kept).
// Keys are emitted in a fixed order and paths are stored relative to the repo,
// so the same build gives a byte-identical manifest from any folder.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [out, ...argv] = process.argv.slice(2);
if (!out) {
  console.error('usage: write-manifest.mjs <manifest.json> --key=value ...');
  process.exit(2);
}

const single = new Map();
const repeated = { configure: [], patch: [] };
for (const arg of argv) {
  const m = /^--([a-z0-9-]+)=(.*)$/s.exec(arg);
  if (!m) throw new Error(`write-manifest: bad argument ${JSON.stringify(arg)}`);
  const [, key, value] = m;
  if (key in repeated) repeated[key].push(value);
  else single.set(key, value);
}
const need = (key) => {
  if (!single.has(key)) throw new Error(`write-manifest: missing --${key}`);
  return single.get(key);
};

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const wasmPath = need('wasm');
const wasm = readFileSync(wasmPath);

const manifest = {
  openssl: {
    version: need('openssl-version'),
    source: need('openssl-source'),
    sha256: need('openssl-sha256'),
  },
  toolchain: {
    clang: need('clang'),
    wasiLibc: need('wasi-libc'),
    lld: need('lld'),
    ccWrapper: need('cc-wrapper'),
  },
  configure: repeated.configure,
  cflags: need('cflags'),
  ldflags: need('ldflags'),
  patches: repeated.patch.map((file) => ({
    file: relative(repoRoot, resolve(file)).split('\\').join('/'),
    sha256: sha256(readFileSync(file)),
  })),
  sourceDateEpoch: Number(need('source-date-epoch')),
  wasm: {
    file: basename(wasmPath),
    sha256: sha256(wasm),
    size: wasm.length,
  },
};

// Write to a temp file and rename so a crash never leaves half a manifest.
const tmp = `${out}.tmp`;
writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
renameSync(tmp, out);
