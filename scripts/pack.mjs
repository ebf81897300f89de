#!/usr/bin/env node
// The npm package as users get it (`npm run package`, or `node scripts/pack.mjs [--out DIR] [--json]`):
//   1. npm's own choice of files (package.json "files"), from `npm pack --dry-run`;
//   2. those files copied to build/package/ beside a publish manifest: package.json without
//      "scripts", "devDependencies" and "allowScripts". The repo's `prepare` builds the wasm and dist/ for a
//      clone's `npm install`; a user installs built files, and npm 11 warns on every install of a
//      package whose manifest names an install-time script;
//   3. `npm pack` of that folder -> DIR/opensslwrap-VERSION.tgz (DIR: the repo by default).
// Publish that tarball (`npm publish DIR/opensslwrap-VERSION.tgz`): `npm publish` in the repo
// itself is refused by its prepublishOnly script. Needs the build (`npm run build`); runs no
// script of the package. With --json, prints npm pack's JSON for the tarball (files, sizes).
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { npmPackJson } from './npm-cli.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const stage = join(root, 'build', 'package');
const { values } = parseArgs({ options: { out: { type: 'string' }, json: { type: 'boolean' } } });
const out = resolve(values.out ?? root);

function fail(message) {
  console.error(`pack: ${message}`);
  process.exit(1);
}

for (const built of ['dist/index.js', 'dist/cli/main.js', 'dist/browser/opensslwrap.js', 'dist/web/index.html', 'wasm/openssl.wasm']) {
  if (!existsSync(join(root, built))) fail(`${built} is missing: build first (npm install, or npm run build)`);
}

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** The development-only fields: the build's scripts, its dependencies and their install-script approvals. */
const DEV_FIELDS = new Set(['scripts', 'devDependencies', 'allowScripts']);
const published = Object.fromEntries(Object.entries(manifest).filter(([field]) => !DEV_FIELDS.has(field)));

const selected = npmPackJson(['--dry-run', '--ignore-scripts'], { cwd: root }).files.map((f) => f.path);
rmSync(stage, { recursive: true, force: true });
for (const file of selected) {
  if (file === 'package.json') continue;
  mkdirSync(dirname(join(stage, file)), { recursive: true });
  copyFileSync(join(root, file), join(stage, file));
}
writeFileSync(join(stage, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);

mkdirSync(out, { recursive: true });
const packed = npmPackJson(['--pack-destination', out], { cwd: stage });
const tarball = join(out, packed.filename);
if (values.json) console.log(JSON.stringify({ ...packed, tarball }, null, 2));
else console.log(`pack: ${tarball} (${packed.entryCount} files, ${(packed.unpackedSize / 1e6).toFixed(1)} MB unpacked)`);
