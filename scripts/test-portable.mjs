#!/usr/bin/env node
// The portable suite (test/portable/) against the package as a user installs it:
//   npm run test:portable [-- TARBALL] [-- --dir DIR] [-- --no-deno]
//   - with TARBALL (the CI matrix): installs it, its dependencies from the registry;
//   - without: packs this checkout (scripts/pack.mjs; needs the build) and installs it offline,
//     its runtime dependencies packed from this checkout's node_modules: no registry and nothing
//     from the npm cache (npm_config_cache is pointed at the project's own empty folder).
// The suite runs in that project under `node --test` (library, golden vector, CLI) and then
// `deno test` (library, golden vector; plain JavaScript, so --no-check) with read access to the
// project and write access to its tmp/ only. Needs only node, npm and deno on PATH: no
// toolchain, no host openssl, no browser.
// --dir DIR keeps the project there (test/pack.test.ts inspects it); else a temp folder, removed.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { npm } from './npm-cli.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({ allowPositionals: true, options: { dir: { type: 'string' }, 'no-deno': { type: 'boolean' } } });
const NODE_FILES = ['library.test.mjs', 'golden.test.mjs', 'cli.test.mjs'];
// The CLI is a Node program: Deno runs the library's suites.
const DENO_FILES = ['library.test.mjs', 'golden.test.mjs'];

function fail(message) {
  console.error(`test-portable: ${message}`);
  process.exit(1);
}

if (positionals.length > 1) fail('usage: node scripts/test-portable.mjs [TARBALL] [--dir DIR] [--no-deno]');
const project = values.dir === undefined ? mkdtempSync(join(tmpdir(), 'osw-portable-')) : resolve(values.dir);
const tarballs = join(project, 'tarballs');
const tmp = join(project, 'tmp');
mkdirSync(tarballs, { recursive: true });
mkdirSync(tmp, { recursive: true });
writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'opensslwrap-portable-check', private: true }, null, 2)}\n`);

/** The runtime dependencies' folders under node_modules, from package-lock.json (dev-only ones left out). */
function runtimeDependencies() {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const deps = Object.entries(lock.packages).filter(([at, p]) => at.startsWith('node_modules/') && p.dev !== true && p.devOptional !== true);
  const nested = deps.filter(([at]) => at.lastIndexOf('node_modules/') > 0);
  if (nested.length > 0) throw new Error(`nested runtime dependencies cannot be installed offline from tarballs: ${nested.map(([at]) => at).join(', ')}`);
  return deps.map(([at]) => at);
}

function install() {
  // A private, empty npm cache: the install depends on nothing the machine's cache holds.
  const env = { ...process.env, npm_config_cache: join(project, 'npm-cache'), npm_config_update_notifier: 'false' };
  const options = { cwd: project, env };
  if (positionals[0] !== undefined) {
    npm(['install', '--no-audit', '--no-fund', resolve(positionals[0])], options);
    return;
  }
  const packed = spawnSync(process.execPath, [join(root, 'scripts', 'pack.mjs'), '--json', '--out', tarballs], { encoding: 'utf8' });
  if (packed.status !== 0) throw new Error(`packing this checkout failed:\n${packed.stderr}`);
  const files = [JSON.parse(packed.stdout).tarball];
  for (const dep of runtimeDependencies()) {
    const out = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tarballs, join(root, dep)], options);
    files.push(join(tarballs, JSON.parse(out.slice(out.search(/^\[/m)))[0].filename));
  }
  npm(['install', '--offline', '--no-audit', '--no-fund', ...files], options);
}

/** Runs a test runner in the project with its output shown; returns whether it passed. */
function runSuite(label, cmd, args, env) {
  console.log(`test-portable: ${label}`);
  const r = spawnSync(cmd, args, { cwd: project, env, stdio: 'inherit' });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  return r.status === 0;
}

try {
  install();
  cpSync(join(root, 'test', 'portable'), join(project, 'test'), { recursive: true });
  // Temp files of the suites go to the project's tmp/ (Node's os.tmpdir() and Deno.makeTempDir read these).
  const env = { ...process.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp, NO_COLOR: '1' };
  const results = [['node', runSuite(`node --test (${NODE_FILES.join(', ')})`, process.execPath, ['--test', ...NODE_FILES.map((f) => join('test', f))], env)]];
  if (!values['no-deno']) {
    const denoEnv = { ...env, DENO_DIR: join(project, 'deno-dir'), DENO_NO_UPDATE_CHECK: '1' };
    const denoArgs = ['test', '--no-check', `--allow-read=${project}`, `--allow-write=${tmp}`, ...DENO_FILES.map((f) => join('test', f))];
    results.push(['deno', runSuite(`deno test (${DENO_FILES.join(', ')}), read ${project}, write ${tmp}`, 'deno', denoArgs, denoEnv)]);
  }
  const failed = results.filter(([, ok]) => !ok).map(([name]) => name);
  console.log(`test-portable: ${failed.length === 0 ? 'passed' : `FAILED under ${failed.join(' and ')}`} (${results.map(([name]) => name).join(', ')}) in ${project}`);
  process.exitCode = failed.length === 0 ? 0 : 1;
} catch (e) {
  console.error(`test-portable: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
} finally {
  if (values.dir === undefined) rmSync(project, { recursive: true, force: true });
}
