#!/usr/bin/env node
// npm run bench [-- --large] [-- --sizes 1,64] [-- --repeat 3]
// One run, same files: opensslwrap (library and CLI, accelerated and pure wasm) against the native
// openssl CLI doing the same cryptographic work, the 2012 opensslwrap recipe, age-encryption and
// OpenPGP.js; many small files; the wasm engine alone. Prints a table and writes
// bench/results/<time>.json. Each measurement runs in its own process under /usr/bin/time, so
// peak RSS is that process's alone. Not a test: a measurement to report. Run `npm run build` first.
//
// This machine's speed drifts by 20-40% over minutes (a shared VM): the ratios that decide the
// targets (the native reference and the I/O floor of dd conv=fsync against the accelerated path,
// the pure wasm CLI against age, the wasm CLI on one core against two, the batch of small files
// against the 2012 recipe and against the durable-copy floor) are measured --repeat times,
// interleaved round by round, and reported as medians (rows marked "median of N"). The other slow
// rows (the wasm library, OpenPGP.js, the recipe on 1 GiB) run once. From the one-core and two-core runs the report fits how the wasm
// engine's time falls with the cores (t = s + p / cores), to estimate a bigger machine's.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { makeFile } from "./bench-data.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(ROOT, "dist/cli/main.js");
const TASK = path.join(ROOT, "scripts/bench-task.mjs");
const args = process.argv.slice(2);
const MIB = 1 << 20;
const sizesArg = args.includes("--sizes") ? args[args.indexOf("--sizes") + 1] : undefined;
const sizes = (sizesArg ?? "1,64,1024").split(",").map((s) => Number(s) * MIB);
if (args.includes("--large")) sizes.push(4096 * MIB);
const repeat = args.includes("--repeat") ? Math.max(1, Number(args[args.indexOf("--repeat") + 1])) : 3;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osw-bench-"));
const f = (name) => path.join(dir, name);
const KEY = "11".repeat(32);
const IV = "22".repeat(16);
const results = [];

/** Runs a command under GNU time: wall seconds and peak RSS (KiB). */
function timed(cmd, argv, opts = {}) {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", cmd, ...argv], { cwd: opts.cwd ?? dir, env: { ...process.env, ...opts.env }, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed: ${r.stderr.slice(-500)}`);
  const [s, kib] = r.stderr.trim().split("\n").pop().split(" ").map(Number);
  return { s, rssMiB: kib / 1024 };
}

/** Several commands one after another (a recipe): summed time, largest RSS. */
function recipe(steps, opts) {
  let s = 0;
  let rssMiB = 0;
  for (const [cmd, argv] of steps) {
    const t = timed(cmd, argv, opts);
    s += t.s;
    rssMiB = Math.max(rssMiB, t.rssMiB);
  }
  return { s, rssMiB };
}

function sh(script, opts) {
  return timed("sh", ["-c", script], opts);
}

function record(group, label, size, t) {
  const row = { group, label, bytes: size, seconds: t.s, mbps: size / 1e6 / Math.max(t.s, 1e-3), rssMiB: t.rssMiB };
  results.push(row);
  return row;
}

function clean(...names) {
  for (const n of names) fs.rmSync(f(n), { force: true, recursive: true });
}

/**
 * Runs each of `steps` ([label, measure]) once per round, `repeat` rounds, and records each
 * label's median time (and its largest RSS): interleaving keeps the machine's drift out of the ratios.
 */
function interleaved(group, size, steps) {
  const times = steps.map(() => []);
  for (let round = 0; round < repeat; round++) steps.forEach(([, measure], i) => times[i].push(measure()));
  steps.forEach(([label], i) => {
    const sorted = [...times[i]].sort((a, b) => a.s - b.s);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    const rssMiB = Math.max(...times[i].map((t) => t.rssMiB));
    const row = record(group, repeat > 1 ? `${label}, median of ${repeat}` : label, size, { s: median.s, rssMiB });
    row.all = times[i].map((t) => t.s);
  });
}

const task = (name, ...rest) => [TASK, name, ...rest];
/** Runs on one core and then two need `taskset` (Linux) and two cores. */
const taskset = os.cpus().length >= 2 && spawnSync("taskset", ["-c", "0", "true"]).status === 0;
const ONE_CORE = "1 core";
const TWO_CORES = "2 cores";
const FLOOR = path.join(ROOT, "scripts/durable-copy-floor.mjs");

try {
  execFileSync("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072", "-out", f("k.pem")], { stdio: "ignore" });
  execFileSync("openssl", ["pkey", "-in", f("k.pem"), "-pubout", "-out", f("k.pub")]);
  execFileSync("node", [TASK, "peer-keys", dir], { stdio: "inherit" });

  for (const size of sizes) {
    const label = size >= 1024 * MIB ? `${size / 1024 / MIB} GiB` : `${size / MIB} MiB`;
    console.error(`-- ${label}`);
    makeFile(f("plain"), size);
    // The native reference and the accelerated path, interleaved (see the top of this file).
    const fresh = (t, ...names) => {
      clean(...names);
      return t;
    };
    interleaved(label, size, [
      ["native reference encrypt (enc cbc + dgst hmac)", () => recipe([
        ["openssl", ["enc", "-aes-256-cbc", "-K", KEY, "-iv", IV, "-in", "plain", "-out", "ref.enc"]],
        ["openssl", ["dgst", "-sha256", "-mac", "HMAC", "-macopt", `hexkey:${KEY}`, "ref.enc"]],
      ])],
      ["native reference decrypt (dgst hmac + enc -d)", () => fresh(recipe([
        ["openssl", ["dgst", "-sha256", "-mac", "HMAC", "-macopt", `hexkey:${KEY}`, "ref.enc"]],
        ["openssl", ["enc", "-d", "-aes-256-cbc", "-K", KEY, "-iv", IV, "-in", "ref.enc", "-out", "ref.dec"]],
      ]), "ref.enc", "ref.dec")],
      ["opensslwrap library encrypt (auto)", () => timed("node", task("encrypt", dir, "auto"))],
      ["opensslwrap library decrypt (auto)", () => fresh(timed("node", task("decrypt", dir, "auto")), "plain.enc", "plain.dec")],
      ["opensslwrap CLI encrypt --keep (auto)", () => timed("node", [CLI, "encrypt", "plain", "--keep", "--pubkey", "k.pub", "--engine", "auto"])],
      ["opensslwrap CLI decrypt (auto)", () => fresh(timed("node", [CLI, "decrypt", "plain.enc", "--privkey", "k.pem", "--out", "plain.dec", "--engine", "auto"]), "plain.enc", "plain.dec")],
      // The I/O floor of one file: the same bytes read and written durably to the same folder, no cryptography.
      ["I/O floor (dd bs=1M conv=fsync)", () => fresh(timed("dd", ["if=plain", "of=dd.out", "bs=1M", "conv=fsync", "status=none"]), "dd.out")],
    ]);

    fs.writeFileSync(f("pw"), "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+_");
    record(label, "2012 recipe encrypt (enc -a, rsautl, sha256, tar czf)", size, recipe([
      ["openssl", ["enc", "-e", "-aes-256-cbc", "-a", "-salt", "-md", "sha256", "-in", "plain", "-out", "plain.aes256", "-pass", "file:pw"]],
      ["openssl", ["rsautl", "-encrypt", "-oaep", "-pubin", "-inkey", "k.pub", "-in", "pw", "-out", "plain.aes256pwd.rsa"]],
      ["openssl", ["dgst", "-sha256", "plain.aes256"]],
      ["tar", ["czf", "old.enc", "plain.aes256", "plain.aes256pwd.rsa"]],
    ]));
    clean("plain.aes256", "plain.aes256pwd.rsa");
    record(label, "2012 recipe decrypt (tar xzf, rsautl, enc -d -a)", size, recipe([
      ["tar", ["xzf", "old.enc"]],
      ["openssl", ["rsautl", "-decrypt", "-oaep", "-inkey", "k.pem", "-in", "plain.aes256pwd.rsa", "-out", "pw.dec"]],
      ["openssl", ["enc", "-d", "-aes-256-cbc", "-a", "-md", "sha256", "-in", "plain.aes256", "-out", "old.dec", "-pass", "file:pw.dec"]],
    ]));
    clean("old.enc", "old.dec", "plain.aes256", "plain.aes256pwd.rsa", "pw.dec");

    record(label, "opensslwrap library encrypt (wasm)", size, timed("node", task("encrypt", dir, "wasm")));
    record(label, "opensslwrap library decrypt (wasm)", size, timed("node", task("decrypt", dir, "wasm")));
    clean("plain.enc", "plain.dec");
    // The pure wasm engine against age (pure JS), interleaved: the wasm engine's targets are ratios to age.
    const wasmCli = (cpus) => {
      const on = cpus === undefined ? "" : `, ${cpus}`;
      /** `node ARGS`, on the processors `cpus` names (taskset -c) when given. */
      const node = (argv) => (cpus === undefined ? timed("node", argv) : timed("taskset", ["-c", cpus === ONE_CORE ? "0" : "0,1", "node", ...argv]));
      return [
        [`opensslwrap CLI encrypt --keep (wasm)${on}`, () => node([CLI, "encrypt", "plain", "--keep", "--pubkey", "k.pub", "--engine", "wasm"])],
        [`opensslwrap CLI decrypt (wasm)${on}`, () => fresh(node([CLI, "decrypt", "plain.enc", "--privkey", "k.pem", "--out", "plain.dec", "--engine", "wasm"]), "plain.enc", "plain.dec")],
      ];
    };
    interleaved(label, size, [
      ...wasmCli(),
      ["age encrypt (stream)", () => timed("node", task("age-encrypt", dir))],
      ["age decrypt (stream)", () => fresh(timed("node", task("age-decrypt", dir)), "peer.out", "peer.dec")],
    ]);
    // How the wasm engine scales with the cores (see `scaling` below): the same commands on one core, then two.
    if (size >= 64 * MIB && taskset) interleaved(label, size, [...wasmCli(ONE_CORE), ...wasmCli(TWO_CORES)]);
    for (const peer of ["openpgp", "openpgp-aead"]) {
      record(label, `${peer} encrypt (stream)`, size, timed("node", task(`${peer}-encrypt`, dir)));
      record(label, `${peer} decrypt (stream)`, size, timed("node", task(`${peer}-decrypt`, dir)));
      clean("peer.out", "peer.dec");
    }
    record(label, "wasm engine enc -aes-256-ctr", size, timed("node", task("engine-enc", dir)));
    record(label, "native openssl enc -aes-256-ctr", size, timed("openssl", ["enc", "-aes-256-ctr", "-K", KEY, "-iv", IV, "-in", "plain", "-out", "ctr.out"]));
    record(label, "wasm engine dgst -sha256 -hmac", size, timed("node", task("engine-hmac", dir)));
    record(label, "native openssl dgst -sha256 -hmac", size, timed("openssl", ["dgst", "-sha256", "-mac", "HMAC", "-macopt", `hexkey:${KEY}`, "plain"]));
    clean("ctr.out", "plain");
  }

  console.error("-- 1000 x 10 KiB");
  const names = Array.from({ length: 1000 }, (_, i) => `s${String(i).padStart(4, "0")}.dat`);
  // Each run gets a fresh folder of the 1000 files, and nothing is deleted until the end. This
  // machine's ext4 has no journal, and there a new file's inode skips every inode deleted in the
  // last 60 s (up to 360 s) in its block group, each create scanning them all (kernel
  // find_inode_bit/recently_deleted, seen with perf). A run right after the previous run's
  // clean-up (1000 to 4000 deletions) in the same folder paid up to 0.5 ms more per created file.
  // The recipe still pays for the deletions of its own intermediate files, as it would anywhere.
  let folders = 0;
  const smallFolder = () => {
    const d = f(`small-${folders++}`);
    fs.mkdirSync(d);
    for (const [i, name] of names.entries()) fs.writeFileSync(path.join(d, name), Buffer.alloc(10240, i & 0xff));
    return { cwd: d };
  };
  const loop = `for f in s*.dat; do
    openssl enc -e -aes-256-cbc -a -salt -md sha256 -in "$f" -out "$f.aes256" -pass file:../pw &&
    openssl rsautl -encrypt -oaep -pubin -inkey ../k.pub -in ../pw -out "$f.aes256pwd.rsa" &&
    openssl dgst -sha256 "$f.aes256" > "$f.meta" &&
    tar czf "$f.old" "$f.aes256" "$f.aes256pwd.rsa" "$f.meta" && rm "$f.aes256" "$f.aes256pwd.rsa" "$f.meta" || exit 1
  done`;
  interleaved("1000 x 10 KiB", 1000 * 10240, [
    ["opensslwrap CLI batch encrypt --keep (auto)", () => timed("node", [CLI, "encrypt", ...names, "--keep", "--pubkey", "../k.pub"], smallFolder())],
    ["2012 recipe, one process per step per file", () => sh(loop, smallFolder())],
    // The file operations of the batch (same threads, same bundle sizes), no cryptography.
    ["durable-copy floor (read, temp, fdatasync, rename, fsync dir)", () => timed("node", [FLOOR, ...names], smallFolder())],
  ]);
  record("1000 x 10 KiB", "opensslwrap CLI batch encrypt --keep (wasm)", 1000 * 10240, timed("node", [CLI, "encrypt", ...names, "--keep", "--pubkey", "../k.pub", "--engine", "wasm"], smallFolder()));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

// ---- report: ratios against the references measured in this same run
const groups = [...new Set(results.map((r) => r.group))];
const lines = [`opensslwrap bench, ${new Date().toISOString()}, ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}, node ${process.version}`];
const model = [];
for (const g of groups) {
  const rows = results.filter((r) => r.group === g);
  const find = (prefix) => rows.find((r) => r.label.startsWith(prefix));
  const floor = find("durable-copy floor") ?? find("I/O floor");
  lines.push("", `${g}`, `${"".padEnd(58)} ${"s".padStart(8)} ${"MB/s".padStart(8)} ${"RSS MiB".padStart(8)}  vs native  vs 2012   vs age${floor === undefined ? "" : "  x floor"}`);
  for (const r of rows) {
    const op = /decrypt|-d\b/.test(r.label) ? "decrypt" : "encrypt";
    const ref = find(`native reference ${op}`);
    const old = find(`2012 recipe ${op}`) ?? find("2012 recipe");
    const age = find(`age ${op}`);
    const ratio = (base) => (base === undefined ? "" : `${(base.seconds / Math.max(r.seconds, 1e-3)).toFixed(2)}x`);
    const times = floor === undefined ? "" : `${(r.seconds / Math.max(floor.seconds, 1e-3)).toFixed(2)}x`.padStart(9);
    const runs = r.all === undefined ? "" : `  runs: ${r.all.map((x) => x.toFixed(2)).join(" ")}`;
    lines.push(`${r.label.padEnd(58)} ${r.seconds.toFixed(2).padStart(8)} ${r.mbps.toFixed(0).padStart(8)} ${r.rssMiB.toFixed(0).padStart(8)}  ${ratio(ref).padStart(9)} ${ratio(old).padStart(8)} ${ratio(age).padStart(8)}${times}${runs}`);
  }
  // The wasm engine's time on c cores, fitted from 1 and 2 cores: t(c) = s + p / c (s: what does not
  // spread, start-up and I/O; p: the cipher and MAC work), never below s + h, h the HMAC's own time
  // on one thread (it cannot be split; the "wasm engine dgst" row).
  const h = find("wasm engine dgst")?.seconds;
  for (const op of ["encrypt --keep", "decrypt"]) {
    const t1 = find(`opensslwrap CLI ${op} (wasm), ${ONE_CORE}`)?.seconds;
    const t2 = find(`opensslwrap CLI ${op} (wasm), ${TWO_CORES}`)?.seconds;
    if (t1 === undefined || t2 === undefined) continue;
    const p = 2 * (t1 - t2);
    const s = t1 - p;
    const at = (c) => Math.max(s + p / c, h === undefined ? 0 : s + h).toFixed(1);
    model.push(`${g} wasm ${op}: 1 core ${t1.toFixed(2)} s, 2 cores ${t2.toFixed(2)} s: t(c) = ${s.toFixed(2)} + ${p.toFixed(2)}/c s${h === undefined ? "" : `, at least ${s.toFixed(2)} + ${h.toFixed(2)} (HMAC)`}; 4 cores ~${at(4)} s, 8 ~${at(8)} s, 16 ~${at(16)} s`);
  }
}
if (model.length > 0) lines.push("", "the wasm engine on every core, scaling:", ...model);
lines.push(
  "",
  "ratios: reference time / this time (above 1x = faster than the reference); x floor: this time / the floor's (the I/O floor of the same size, dd conv=fsync; for the small files, the durable-copy floor).",
  "1 core, 2 cores: the command under taskset -c 0, -c 0,1. The HMAC's own time (its row) includes a process start, so the lower bound is a little high.",
);
console.log(lines.join("\n"));
fs.mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
const out = path.join(ROOT, "bench/results", `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
fs.writeFileSync(out, `${JSON.stringify({ machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version }, results }, null, 2)}\n`);
console.log(`\nwritten ${path.relative(ROOT, out)}`);
