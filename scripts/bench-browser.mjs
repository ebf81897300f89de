#!/usr/bin/env node
// npm run bench:browser [-- --sizes 256,1024] [-- --rounds 1] [-- --memory 2048] [-- --wasm]
// The web page in headless Chromium (playwright-core, /usr/bin/chromium or $OPENSSLWRAP_CHROMIUM)
// against the CLI's default engine on the same file, interleaved in one run: the page's own
// buttons, from the click to the download, served cross-origin isolated (COOP/COEP, the HMAC on a
// second worker) and not (one worker). For each page run: the renderer's idle and peak resident
// memory (VmRSS, then VmHWM after resetting it through /proc/PID/clear_refs: needs Linux and the
// right to write there) and the CPU seconds of each of its busy threads (which worker did what).
// --memory N also encrypts and decrypts an N MiB file in the isolated page, for memory only;
// --wasm adds the page with "all in WebAssembly" ticked. Not a test: a measurement to report.
// Run `npm run build` first. Prints a table and writes bench/results/browser-<time>.json.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { makeFile } from "./bench-data.mjs";
import { chromium } from "playwright-core";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(ROOT, "dist/cli/main.js");
const { startServer } = await import(path.join(ROOT, "dist/cli/serve.js"));
const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const MIB = 1 << 20;
const sizes = arg("--sizes", "256,1024").split(",").map((s) => Number(s) * MIB);
const rounds = Math.max(1, Number(arg("--rounds", "1")));
const memoryOnly = args.includes("--memory") ? Number(arg("--memory")) * MIB : undefined;
const withWasm = args.includes("--wasm");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osw-bench-browser-"));
const f = (name) => path.join(dir, name);
const results = [];

/** The CLI, timed from spawn to exit. */
function cli(argv) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...argv], { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`opensslwrap ${argv.join(" ")}: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

/** Chromium's renderer processes of this profile (the page's is the one running dedicated workers). */
function pageRenderer(profile) {
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!cmd.includes("--type=renderer") || !cmd.includes(profile)) continue;
      if (fs.readdirSync(`/proc/${pid}/task`).some((t) => fs.readFileSync(`/proc/${pid}/task/${t}/comm`, "utf8").startsWith("DedicatedWorker"))) return pid;
    } catch {
      // a process that ended meanwhile
    }
  }
  throw new Error("the page's renderer process was not found");
}

const status = (pid, field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;

const TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));

/** CPU seconds (user + system) of each thread of `pid`, by "name#tid". */
function threadTimes(pid) {
  const out = {};
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    const stat = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    out[`${stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))}#${t}`] = (Number(fields[11]) + Number(fields[12])) / TICKS;
  }
  return out;
}

/** One page run: click `go`, wait for the download; seconds, renderer memory (MiB) and busy threads. */
async function pageRun(page, profile, go) {
  const pid = pageRenderer(profile);
  const idle = status(pid, "VmRSS");
  fs.writeFileSync(`/proc/${pid}/clear_refs`, "5"); // resets VmHWM to the current RSS
  const before = threadTimes(pid);
  const t0 = performance.now();
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: 3_600_000 }), page.click(go)]);
  const seconds = (performance.now() - t0) / 1000;
  const peak = status(pid, "VmHWM");
  const after = threadTimes(pid);
  // Threads that worked, named by the order they were made in (the engine's worker comes before the MAC worker).
  const busy = Object.entries(after)
    .map(([k, v]) => ({ name: k.replace(/#\d+$/, ""), tid: Number(k.split("#").pop()), cpu: v - (before[k] ?? 0) }))
    .sort((a, b) => a.tid - b.tid);
  const seen = {};
  const threads = Object.fromEntries(
    busy.map((t) => [`${t.name}${(seen[t.name] = (seen[t.name] ?? 0) + 1) > 1 ? ` ${seen[t.name]}` : ""}`, Number(t.cpu.toFixed(2))]).filter(([, cpu]) => cpu >= 0.02),
  );
  await download.delete();
  return { seconds, idleMiB: idle, peakMiB: peak, threads };
}

/** Renderers still running dedicated workers: none once the last page closed. */
function workerRenderers(profile) {
  try {
    pageRenderer(profile);
    return 1;
  } catch {
    return 0;
  }
}

/**
 * A fresh page (the only one open, so that its renderer is the one with dedicated workers), ready
 * and settled for a second before its idle memory is read.
 */
async function openPage(browser, profile, url, wasm) {
  for (let i = 0; i < 100 && workerRenderers(profile) > 0; i++) await new Promise((r) => setTimeout(r, 100));
  const page = await browser.newPage();
  await page.goto(url);
  await page.locator("#engine[data-state=ready]").waitFor({ timeout: 120_000 });
  await page.setChecked("#engine-wasm", wasm);
  await page.waitForTimeout(1000);
  return page;
}

function row(size, label, measured) {
  const r = { size, label, ...measured, mbps: size / 1e6 / measured.seconds };
  results.push(r);
  const mem = r.peakMiB === undefined ? "" : ` renderer idle ${r.idleMiB.toFixed(0)} MiB, peak ${r.peakMiB.toFixed(0)} MiB (${(r.peakMiB / r.idleMiB).toFixed(2)}x)`;
  console.error(`  ${label}: ${r.seconds.toFixed(2)} s, ${r.mbps.toFixed(1)} MB/s${mem}${r.threads === undefined ? "" : ` threads ${JSON.stringify(r.threads)}`}`);
  return r;
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), "osw-bench-chromium-"));
const servers = { isolated: await startServer({ root: path.join(ROOT, "dist/web"), port: 0 }), "not isolated": await startServer({ root: path.join(ROOT, "dist/web"), port: 0, crossOriginIsolated: false }) };
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.OPENSSLWRAP_CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  acceptDownloads: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  console.error(`load: ${fs.readFileSync("/proc/loadavg", "utf8").trim()} (${os.cpus().length} cores)`);
  execFileSync("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072", "-out", f("k.pem")], { stdio: "ignore" });
  execFileSync("openssl", ["pkey", "-in", f("k.pem"), "-pubout", "-out", f("k.pub")]);
  const variants = [...Object.keys(servers).map((where) => [where, false]), ...(withWasm ? [["isolated", true]] : [])].slice(0, memoryOnly === undefined ? undefined : 1);
  /** Runs `body` on a fresh page of each variant in turn. */
  const onEachPage = async (body) => {
    for (const [where, wasm] of variants) {
      const page = await openPage(browser, profile, servers[where].url, wasm);
      try {
        await body(page, `page ${where}${wasm ? ", all in WebAssembly" : ""}`);
      } finally {
        await page.close();
      }
    }
  };

  for (const size of memoryOnly === undefined ? sizes : [memoryOnly]) {
    const label = size >= 1024 * MIB ? `${size / 1024 / MIB} GiB` : `${size / MIB} MiB`;
    console.error(`-- ${label}`);
    makeFile(f("plain"), size);
    for (let round = 0; round < rounds; round++) {
      fs.rmSync(f("plain.enc"), { force: true });
      if (memoryOnly === undefined) row(size, "CLI encrypt (default engine)", { seconds: cli(["encrypt", "plain", "--keep", "--pubkey", "k.pub"]) });
      else cli(["encrypt", "plain", "--keep", "--pubkey", "k.pub"]);
      await onEachPage(async (page, who) => {
        await page.setInputFiles("#enc-files", f("plain"));
        await page.setInputFiles("#enc-keys", f("k.pub"));
        row(size, `${who} encrypt`, await pageRun(page, profile, "#enc-go"));
      });
      fs.rmSync(f("plain.dec"), { force: true });
      if (memoryOnly === undefined) row(size, "CLI decrypt (default engine)", { seconds: cli(["decrypt", "plain.enc", "--privkey", "k.pem", "--out", "plain.dec"]) });
      await onEachPage(async (page, who) => {
        await page.setInputFiles("#dec-bundle", f("plain.enc"));
        await page.setInputFiles("#dec-key", f("k.pem"));
        row(size, `${who} decrypt`, await pageRun(page, profile, "#dec-go"));
      });
    }
  }
} finally {
  await browser.close();
  for (const s of Object.values(servers)) await s.close();
  fs.rmSync(profile, { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
console.log("| size | run | MB/s | vs CLI | renderer idle → peak (MiB) |\n|---|---|---|---|---|");
for (const size of [...new Set(results.map((r) => r.size))]) {
  const of = (label) => results.filter((r) => r.size === size && r.label === label);
  for (const label of [...new Set(results.filter((r) => r.size === size).map((r) => r.label))]) {
    const rs = of(label);
    const mbps = median(rs.map((r) => r.mbps));
    const op = label.endsWith("encrypt") || label.includes("encrypt (") ? "encrypt" : "decrypt";
    const reference = of(`CLI ${op} (default engine)`);
    const ratio = reference.length > 0 && !label.startsWith("CLI") ? `${(mbps / median(reference.map((r) => r.mbps))).toFixed(2)}x` : "";
    const mem = rs[0]?.peakMiB === undefined ? "" : `${median(rs.map((r) => r.idleMiB)).toFixed(0)} → ${median(rs.map((r) => r.peakMiB)).toFixed(0)} (${median(rs.map((r) => r.peakMiB / r.idleMiB)).toFixed(2)}x)`;
    console.log(`| ${size / MIB} MiB | ${label} | ${mbps.toFixed(1)} | ${ratio} | ${mem} |`);
  }
}
const out = path.join(ROOT, "bench/results", `browser-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify({ load: fs.readFileSync("/proc/loadavg", "utf8").trim(), chromium: execFileSync(process.env.OPENSSLWRAP_CHROMIUM ?? "/usr/bin/chromium", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim(), results }, null, 2)}\n`);
console.error(`written: ${path.relative(ROOT, out)}`);
