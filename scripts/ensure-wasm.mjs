#!/usr/bin/env node
// Run from `npm prepare`: makes sure wasm/openssl.wasm exists and is the build
// recorded in wasm/manifest.json. If the wasm or the manifest is missing, or
// the wasm's sha256 differs from manifest.wasm.sha256, it runs
// `bash scripts/build-wasm.sh` (which also rewrites the manifest).
// No npm dependencies: this runs before anything is built.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const wasmPath = join(root, 'wasm', 'openssl.wasm');
const manifestPath = join(root, 'wasm', 'manifest.json');

function reasonToBuild() {
  if (!existsSync(manifestPath)) return 'wasm/manifest.json is missing';
  let expected;
  try {
    expected = JSON.parse(readFileSync(manifestPath, 'utf8'))?.wasm?.sha256;
  } catch (err) {
    return `wasm/manifest.json is unreadable (${err.message})`;
  }
  if (typeof expected !== 'string' || !/^[0-9a-f]{64}$/.test(expected)) {
    return 'wasm/manifest.json has no valid wasm.sha256';
  }
  if (!existsSync(wasmPath)) return 'wasm/openssl.wasm is missing';
  const actual = createHash('sha256').update(readFileSync(wasmPath)).digest('hex');
  if (actual !== expected) {
    return `wasm/openssl.wasm sha256 ${actual} differs from manifest ${expected}`;
  }
  console.log(`wasm up to date (sha256 ${actual})`);
  return null;
}

// CI proves the build is reproducible: it always builds from source and requires the
// committed manifest's sha256 (build-wasm.sh --check never rewrites the manifest).
const ci = process.env.CI === 'true';
const reason = ci ? 'CI' : reasonToBuild();
if (reason !== null) {
  console.log(`${reason}: running scripts/build-wasm.sh${ci ? ' --check' : ''}`);
  const r = spawnSync('bash', [join(root, 'scripts', 'build-wasm.sh'), ...(ci ? ['--check'] : [])], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.error) {
    console.error(`ensure-wasm: cannot run bash: ${r.error.message}`);
    process.exit(1);
  }
  process.exit(r.status ?? 1);
}
