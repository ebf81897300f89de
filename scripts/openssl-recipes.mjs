#!/usr/bin/env node
// OpenSSL's own app-level test recipes (test/recipes/*.t, through test/run_tests.pl) run against
// `opensslwrap openssl`: the drop-in check of the wasm command line and of our WASI host.
//
// Usage: node scripts/openssl-recipes.mjs [--jobs N] [RECIPE...]     (npm run test:openssl-recipes)
//   RECIPE   a recipe name as run_tests.pl takes it (test_enc, test_x509, ...); default: RECIPES below
//   --jobs   recipes run at once (default 2)
//
// The source is the pinned tarball the wasm is built from (`scripts/build-wasm.sh --fetch`
// downloads and verifies it). It is unpacked under build/openssl-recipes/ and configured natively
// with the wasm build's own options (from wasm/manifest.json), so the recipes skip what the wasm
// leaves out; nothing is compiled. apps/openssl there is a script that runs
// `node dist/cli/main.js openssl "$@"` (run `npm run build` first). Recipes that need OpenSSL's C
// test programs are not listed; the few subtests of listed recipes that run one are the
// INHERENT entries below. Prints a table; exits 1 if any recipe has another failure.
// Logs: build/openssl-recipes/logs/<recipe>.log (the full TAP and the commands' output).
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const RECIPES = [
  "test_enc", "test_enc_more", "test_dgst", "test_pkeyutl", "test_genrsa", "test_rsa", "test_rsapss",
  "test_rsaoaep", "test_genpkey", "test_pkey", "test_pkcs8", "test_passwd", "test_mac", "test_kdf",
  "test_out_option", "test_req",
  // These two need the host's environment (OPENSSL_CONF, $ENV::NAME in their configurations).
  "test_tsa", "test_ca",
];

/** Subtests that run a C test program of OpenSSL's test/ folder instead of the openssl application. */
const INHERENT = [
  { recipe: "test_rsa", subtest: "running rsatest", reason: "runs the C program test/rsa_test (libcrypto's RSA internals), not the application" },
  { recipe: "test_rsa", subtest: "RSA X931 test", reason: "runs the C program test/rsa_x931_test, not the application" },
];

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WORK = path.join(ROOT, "build", "openssl-recipes");
const CLI = path.join(ROOT, "dist", "cli", "main.js");

function die(message) {
  console.error(`openssl-recipes: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  let jobs = 2;
  const recipes = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--jobs") jobs = Number(argv[++i]);
    else if (/^test_\w+$/.test(argv[i])) recipes.push(argv[i]);
    else {
      console.error(`openssl-recipes: unknown argument '${argv[i]}' (usage: [--jobs N] [test_NAME...])`);
      process.exit(2);
    }
  }
  if (!(Number.isInteger(jobs) && jobs >= 1)) die("--jobs needs a whole number >= 1");
  return { jobs, recipes: recipes.length > 0 ? recipes : RECIPES };
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 26, ...options });
  if (r.error) die(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) die(`${cmd} ${args.join(" ")} failed (exit ${r.status ?? r.signal})\n${(r.stdout ?? "") + (r.stderr ?? "")}`.trimEnd());
  return r.stdout;
}

/** The unpacked, natively configured source tree; reused while the tarball and options are the same. */
function sourceTree(manifest) {
  const tarball = run("bash", [path.join(ROOT, "scripts", "build-wasm.sh"), "--fetch"], { stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").pop();
  const sha256 = createHash("sha256").update(fs.readFileSync(tarball)).digest("hex");
  if (sha256 !== manifest.openssl.sha256) die(`${tarball} is not the source of wasm/openssl.wasm (sha256 ${sha256}, manifest ${manifest.openssl.sha256})`);
  // The wasm build's own options, without its cross-compiling toolchain: Configure records what is
  // disabled (no-legacy, no-sock, ...) in configdata.pm, which is what the recipes ask.
  const options = manifest.configure.filter((o) => !/^(CC|AR|RANLIB|LDLIBS)=/.test(o));
  const stamp = JSON.stringify({ sha256, options });
  const tree = path.join(WORK, `openssl-${manifest.openssl.version}`);
  const stampFile = path.join(WORK, "configured.json");
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp && fs.existsSync(path.join(tree, "apps", "CA.pl"))) return tree;

  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  console.log(`unpacking ${path.relative(ROOT, tarball)} and configuring (${options.join(" ")})`);
  run("tar", ["-C", WORK, "--no-same-owner", "-xzf", tarball]);
  fs.writeFileSync(path.join(WORK, "configure.log"), run("perl", ["Configure", ...options], { cwd: tree }));
  // What `make util/wrap.pl apps/CA.pl` runs: the wrapper every recipe starts apps/openssl
  // through, and the CA.pl script of test_ca.
  for (const script of ["util/wrap.pl", "apps/CA.pl"]) {
    fs.writeFileSync(path.join(tree, script), run("perl", ["-I.", "-Mconfigdata", "util/dofile.pl", "-oMakefile", `${script}.in`], { cwd: tree }), { mode: 0o755 });
  }
  fs.writeFileSync(stampFile, stamp);
  return tree;
}

const shellQuote = (s) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Runs one recipe through run_tests.pl; resolves with its log. */
function runRecipe(tree, recipe) {
  return new Promise((resolve) => {
    const started = Date.now();
    const env = { ...process.env, SRCTOP: tree, BLDTOP: tree, HARNESS_VERBOSE: "yes" };
    const child = spawn("perl", [path.join(tree, "test", "run_tests.pl"), recipe], { cwd: tree, env, stdio: ["ignore", "pipe", "pipe"] });
    const chunks = [];
    child.stdout.on("data", (c) => chunks.push(c));
    child.stderr.on("data", (c) => chunks.push(c));
    child.on("close", () => {
      const log = Buffer.concat(chunks).toString("latin1");
      fs.writeFileSync(path.join(WORK, "logs", `${recipe}.log`), log);
      resolve({ log, seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** Counts the recipe's top-level subtests in its verbose TAP (nested subtests are indented). */
function tally(recipe, log) {
  const lines = log.split("\n");
  const start = lines.findIndex((l) => /^\d\d-test_\S+\.t \.+/.test(l) && !l.startsWith("00-prep_"));
  const r = { recipe, planned: 0, passed: 0, failed: [], skipped: 0, inherent: [], skipAll: "" };
  if (start < 0) return { ...r, failed: ["no TAP output (see the log)"] };
  const skipAll = /skipped: (.*)/.exec(lines[start]);
  if (skipAll) return { ...r, skipAll: skipAll[1] };
  for (const line of lines.slice(start + 1)) {
    const plan = /^1\.\.(\d+)(?: # skip(?:ped)?:? ?(.*))?/i.exec(line);
    if (plan) {
      r.planned = Number(plan[1]);
      if (r.planned === 0) r.skipAll = plan[2] ?? "skipped";
      continue;
    }
    // Test::More writes a "#" inside a name as "\#".
    const t = /^(not )?ok (\d+)(?: - ((?:[^#\\]|\\.)*?))?\s*(?:# (skip|todo)\b.*)?$/i.exec(line);
    if (!t) continue;
    const [, not, number, name = "", directive = ""] = t;
    if (/^skip$/i.test(directive)) r.skipped++;
    else if (!not || /^todo$/i.test(directive)) r.passed++;
    else {
      const excuse = INHERENT.find((e) => e.recipe === recipe && e.subtest === name.trim());
      if (excuse) r.inherent.push(`${number} "${name.trim()}": ${excuse.reason}`);
      else r.failed.push(`${number} "${name.trim()}"`);
    }
  }
  const ran = r.passed + r.skipped + r.failed.length + r.inherent.length;
  if (ran < r.planned) r.failed.push(`planned ${r.planned} subtests, ran ${ran} (the recipe died; see the log)`);
  return r;
}

async function main() {
  const { jobs, recipes } = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(CLI)) die("dist/cli/main.js is missing: run `npm run build` first");
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "wasm", "manifest.json"), "utf8"));
  const t0 = Date.now();
  const tree = sourceTree(manifest);
  fs.writeFileSync(path.join(tree, "apps", "openssl"), `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(CLI)} openssl "$@"\n`, { mode: 0o755 });
  fs.mkdirSync(path.join(WORK, "logs"), { recursive: true });

  const results = new Map();
  const queue = [...recipes];
  const worker = async () => {
    for (let recipe = queue.shift(); recipe !== undefined; recipe = queue.shift()) {
      const { log, seconds } = await runRecipe(tree, recipe);
      results.set(recipe, { ...tally(recipe, log), seconds });
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, recipes.length) }, worker));

  const rows = recipes.map((name) => results.get(name));
  const pad = (s, n) => String(s).padStart(n);
  console.log(`\n${"recipe".padEnd(18)}${pad("passed", 8)}${pad("failed", 8)}${pad("skipped", 9)}${pad("seconds", 9)}`);
  for (const r of rows) {
    const skipped = r.skipAll ? `all` : r.inherent.length > 0 ? `${r.skipped}+${r.inherent.length}*` : r.skipped;
    console.log(`${r.recipe.padEnd(18)}${pad(r.passed, 8)}${pad(r.failed.length, 8)}${pad(skipped, 9)}${pad(r.seconds.toFixed(0), 9)}`);
  }
  const sum = (f) => rows.reduce((n, r) => n + f(r), 0);
  console.log(`${"total".padEnd(18)}${pad(sum((r) => r.passed), 8)}${pad(sum((r) => r.failed.length), 8)}${pad(sum((r) => r.skipped + r.inherent.length), 9)}${pad(((Date.now() - t0) / 1000).toFixed(0), 9)}  (wall, --jobs ${jobs})`);
  const notes = rows.flatMap((r) => [...(r.skipAll ? [`${r.recipe}: skipped by the recipe: ${r.skipAll}`] : []), ...r.inherent.map((i) => `* ${r.recipe} ${i}`)]);
  if (notes.length > 0) console.log(`\n${notes.join("\n")}`);
  const failing = rows.filter((r) => r.failed.length > 0);
  for (const r of failing) console.log(`\nFAILED ${r.recipe}: ${r.failed.join(", ")}\n  log: ${path.relative(ROOT, path.join(WORK, "logs", `${r.recipe}.log`))}`);
  process.exitCode = failing.length > 0 ? 1 : 0;
}

await main();
