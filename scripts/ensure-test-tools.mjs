#!/usr/bin/env node
// Run from `npm prepare` (a clone's `npm install`), after the build: makes sure the system has
// what the README's `npm test` needs besides node_modules:
//   - Chromium for the browser suites: Debian's `chromium`, at $OPENSSLWRAP_CHROMIUM or
//     /usr/bin/chromium (playwright-core drives it; it cannot download a browser of its own);
//   - the host `openssl`, the interop tests' referee (never an engine).
// Like scripts/build-wasm.sh for the wasm toolchain: as root it installs the missing Debian
// packages itself; otherwise it prints the exact `sudo apt-get install` line and fails.
// No npm dependencies: this runs before anything else is installed for the tests.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.OPENSSLWRAP_CHROMIUM || '/usr/bin/chromium';
const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/** The Debian packages still missing. */
function missing() {
  const packages = [];
  if (!existsSync(chromium)) packages.push('chromium');
  if (!has('openssl')) packages.push('openssl');
  return packages;
}

function fail(lines) {
  for (const line of lines) console.error(`ensure-test-tools: ${line}`);
  process.exit(1);
}

const needed = missing();
if (needed.length === 0) {
  console.log(`test tools present: Chromium at ${chromium}, openssl`);
  process.exit(0);
}
const why = `the tests need ${needed.map((p) => (p === 'chromium' ? `Chromium (looked for ${chromium})` : 'the openssl command')).join(' and ')}`;
if (!has('apt-get')) {
  fail([`${why}; this is not a Debian system: install ${needed.length > 1 ? 'them' : 'it'}, and point OPENSSLWRAP_CHROMIUM at the Chromium binary`]);
}
if (process.getuid?.() !== 0) {
  fail([`${why}. Install ${needed.length > 1 ? 'them' : 'it'} with:`, `  sudo apt-get install -y ${needed.join(' ')}`]);
}

console.log(`==> installing missing test tools: ${needed.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update'], ['install', '-y', ...needed]]) {
  const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (r.status !== 0) fail([`apt-get ${args.join(' ')} failed (exit ${r.status ?? r.error?.message})`]);
}
const still = missing();
if (still.length > 0) {
  fail([`apt-get installed ${needed.join(' ')}, but ${still.includes('chromium') ? `there is still no Chromium at ${chromium} (Debian's is /usr/bin/chromium; check OPENSSLWRAP_CHROMIUM)` : 'openssl is still not on PATH'}`]);
}
console.log(`test tools installed: Chromium at ${chromium}, openssl`);
