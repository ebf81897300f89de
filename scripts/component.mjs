#!/usr/bin/env node
// Makes a WASI 0.2 component of the pinned engine (test/component.test.ts runs it in `npm test`):
//   node scripts/component.mjs [--no-check]      -> build/openssl.component.wasm
// with jco (@bytecodealliance/jco, a devDependency). OpenSSL is not rebuilt: wasm/openssl.wasm
// (checked against wasm/manifest.json) is wrapped with jco's WASI preview1 command adapter
// (`jco new --wasi-command`).
//
// One change to the core module is needed first. The adapter keeps its state in one page of the
// module's memory, which it allocates through an exported `cabi_realloc`; our module has none
// (Debian 12's wasi-libc of 2022 predates it), so the adapter grows the memory itself and the
// old libc's malloc later hands out that same page: every command that allocates enough, reads
// stdin, writes stderr or draws random bytes then traps with "assertion failed at adapter line
// 2857/2858" (the state's canaries). The script therefore adds a 4-instruction export
// `cabi_realloc(old, old_size, align, new_size) = realloc(old, new_size)` over the module's own
// allocator (jco print -> add to the text -> jco parse). The result is build/openssl.core.wasm
// and, adapted, build/openssl.component.wasm.
//
// Then it runs checks through `jco run` (Node + @bytecodealliance/preview2-shim): `version`, a
// SHA-256 known answer on stdin, `rand`, an RSA key generated to stdout, a file read and a file
// written, and an unknown command's exit code. `jco run` gives the component no filesystem by
// default; a module passed with --jco-import that calls preview2-shim's `_setPreopens` gives it
// a host folder.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build');
const check = !process.argv.includes('--no-check');

function fail(message) {
  console.error(`component: ${message}`);
  process.exit(1);
}

/** jco's command-line entry, run by this Node (no .bin shim: the same on every OS). */
function jcoEntry() {
  const dir = join(root, 'node_modules', '@bytecodealliance', 'jco');
  if (!existsSync(join(dir, 'package.json'))) fail('@bytecodealliance/jco is not installed (npm install)');
  const { bin } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return join(dir, typeof bin === 'string' ? bin : bin.jco);
}

const jco = jcoEntry();

function runJco(args, { input, allowFailure = false } = {}) {
  const r = spawnSync(process.execPath, [jco, ...args], { cwd: root, input, maxBuffer: 1 << 26 });
  if (r.error) fail(`cannot run jco: ${r.error.message}`);
  if (r.status !== 0 && !allowFailure) fail(`jco ${args[0]} failed (exit ${r.status}):\n${r.stderr.toString()}`);
  return r;
}

// 1. The pinned engine, as the loader would accept it.
const manifest = JSON.parse(readFileSync(join(root, 'wasm', 'manifest.json'), 'utf8'));
const wasmPath = join(root, 'wasm', 'openssl.wasm');
if (!existsSync(wasmPath)) fail('wasm/openssl.wasm is missing (npm install builds it)');
const sha = createHash('sha256').update(readFileSync(wasmPath)).digest('hex');
if (sha !== manifest.wasm.sha256) fail(`wasm/openssl.wasm sha256 ${sha} is not the manifest's ${manifest.wasm.sha256}`);
mkdirSync(out, { recursive: true });
const t0 = performance.now();

// 2. Add the cabi_realloc export over the module's own realloc.
const wat = join(out, 'openssl.wat');
runJco(['print', wasmPath, '-o', wat]);
const text = readFileSync(wat, 'utf8');
if (!/^ {2}\(func \$realloc \(;\d+;\) \(type \d+\) \(param i32 i32\) \(result i32\)/m.test(text)) {
  fail('no $realloc(i32, i32) -> i32 in the module (is its name section stripped?)');
}
if (text.includes('"cabi_realloc"')) fail('the module already exports cabi_realloc: this script is not needed');
const anchor = text.indexOf('\n  (export "_start"');
if (anchor < 0) fail('no _start export: not a WASI command module');
const shim = [
  '',
  '  (export "cabi_realloc" (func $opensslwrap_cabi_realloc))',
  '  (func $opensslwrap_cabi_realloc (param i32 i32 i32 i32) (result i32)',
  '    local.get 0',
  '    local.get 3',
  '    call $realloc)',
].join('\n');
writeFileSync(wat, text.slice(0, anchor) + shim + text.slice(anchor));
const core = join(out, 'openssl.core.wasm');
runJco(['parse', wat, '-o', core]);
rmSync(wat);

// 3. Adapt it to WASI 0.2 (jco ships the preview1 command adapter).
const component = join(out, 'openssl.component.wasm');
runJco(['new', core, '--wasi-command', '-o', component]);
const wit = runJco(['wit', component]).stdout.toString();
if (!wit.includes('export wasi:cli/run@0.2')) fail(`the component does not export wasi:cli/run@0.2:\n${wit}`);
const t1 = performance.now();
console.log(`component: ${component} (${readFileSync(component).length} bytes, ${((t1 - t0) / 1000).toFixed(1)} s)`);
console.log(`component: world imports ${[...wit.matchAll(/import (wasi:[a-z-]+\/[a-z-]+)@/g)].map((m) => m[1]).join(', ')}`);
if (!check) process.exit(0);

// 4. Checks through `jco run`.
const checks = [
  ['version', ['version'], undefined, (o) => o.startsWith(`OpenSSL ${manifest.openssl.version} `)],
  ['SHA-256 known answer on stdin', ['dgst', '-sha256', '-r'], 'abc', (o) => o.startsWith('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad ')],
  ['random bytes', ['rand', '-hex', '32'], undefined, (o) => /^[0-9a-f]{64}\n$/.test(o)],
  ['RSA-2048 key to stdout', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], undefined, (o) => /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/.test(o)],
];
let ok = true;
for (const [label, args, input, good] of checks) {
  const r = runJco(['run', component, ...args], { input, allowFailure: true });
  const stdout = r.stdout.toString();
  const pass = r.status === 0 && good(stdout);
  ok &&= pass;
  console.log(`component: ${pass ? 'ok  ' : 'FAIL'} ${label}${pass ? '' : ` (exit ${r.status}): ${stdout.slice(0, 200)}${r.stderr.toString().slice(0, 800)}`}`);
}
// File I/O: a host folder preopened as the guest's /data by a module run before the component
// (--jco-import). It sits in the --jco-dir folder, so that its import of preview2-shim resolves to
// the instance jco's runner uses (jco links it into that folder's node_modules).
const runDir = join(out, 'jco-run');
const data = join(out, 'component-data');
rmSync(runDir, { recursive: true, force: true });
rmSync(data, { recursive: true, force: true });
mkdirSync(runDir, { recursive: true });
mkdirSync(data, { recursive: true });
writeFileSync(join(runDir, 'preopens.mjs'), `import { _setPreopens } from "@bytecodealliance/preview2-shim/filesystem";\n_setPreopens({ "/data": ${JSON.stringify(data)} });\n`);
writeFileSync(join(data, 'abc.txt'), 'abc');
const io = runJco(['run', '--jco-dir', runDir, '--jco-import', join(runDir, 'preopens.mjs'), component, 'dgst', '-sha256', '-r', '-out', '/data/digest.txt', '/data/abc.txt'], { allowFailure: true });
const written = existsSync(join(data, 'digest.txt')) ? readFileSync(join(data, 'digest.txt'), 'utf8') : '';
const ioPasses = io.status === 0 && written.startsWith('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad *');
ok &&= ioPasses;
console.log(`component: ${ioPasses ? 'ok  ' : 'FAIL'} file I/O: reads /data/abc.txt, writes /data/digest.txt${ioPasses ? '' : ` (exit ${io.status}): ${written}${io.stderr.toString().slice(0, 800)}`}`);

const bad = runJco(['run', component, 'nosuchcmd'], { allowFailure: true });
const exitPasses = bad.status === 1 && bad.stderr.toString().includes("Invalid command 'nosuchcmd'");
ok &&= exitPasses;
console.log(`component: ${exitPasses ? 'ok  ' : 'FAIL'} exit code of a refused command passes through (exit ${bad.status})`);
console.log(`component: ${ok ? 'all checks passed' : 'checks FAILED'} (${((performance.now() - t1) / 1000).toFixed(1)} s)`);
process.exit(ok ? 0 : 1);
