#!/usr/bin/env node
// Streaming proof: node scripts/stream-check.mjs [GiB] [engine]   (default 1 GiB, engine auto)
// Encrypts and decrypts a file made of a known pattern through the product's path API, checks the
// round trip by SHA-256 and prints the time and peak RSS of each step. Each step runs in its own
// process (this script re-runs itself), so a peak RSS is that step's alone. Run `npm run build` first.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === "--step") {
  const [, , , step, dir, engine] = process.argv;
  const { decrypt, encrypt } = await import("../dist/index.js");
  const t = performance.now();
  if (step === "encrypt") await encrypt(path.join(dir, "plain"), { publicKeys: [fs.readFileSync(path.join(dir, "k.pub"))], keep: true, engine });
  else await decrypt(path.join(dir, "plain.enc"), { privateKey: { key: fs.readFileSync(path.join(dir, "k.pem")) }, out: path.join(dir, "back"), engine });
  console.log(JSON.stringify({ seconds: (performance.now() - t) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

const gib = Number(process.argv[2] ?? "1");
const engine = process.argv[3] ?? "auto";
const size = Math.round(gib * 2 ** 30);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osw-stream-"));

/** The known pattern, written in 8 MiB chunks; returns its SHA-256. */
function pattern(file) {
  const chunk = Buffer.alloc(8 << 20);
  const hash = createHash("sha256");
  const fd = fs.openSync(file, "w");
  for (let done = 0; done < size; done += chunk.length) {
    const n = Math.min(chunk.length, size - done);
    for (let i = 0; i < n; i += 4) chunk.writeUInt32LE(((done + i) * 2654435761) >>> 0, i);
    fs.writeSync(fd, chunk, 0, n);
    hash.update(chunk.subarray(0, n));
  }
  fs.closeSync(fd);
  return hash.digest("hex");
}

function sha256(file) {
  const hash = createHash("sha256");
  const buf = Buffer.alloc(8 << 20);
  const fd = fs.openSync(file, "r");
  for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  fs.closeSync(fd);
  return hash.digest("hex");
}

function step(name) {
  const r = spawnSync(process.execPath, [self, "--step", name, dir, engine], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

try {
  execFileSync("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072", "-out", path.join(dir, "k.pem")], { stdio: "ignore" });
  execFileSync("openssl", ["pkey", "-in", path.join(dir, "k.pem"), "-pubout", "-out", path.join(dir, "k.pub")]);
  const expected = pattern(path.join(dir, "plain"));
  const e = step("encrypt");
  fs.rmSync(path.join(dir, "plain"));
  const d = step("decrypt");
  const same = sha256(path.join(dir, "back")) === expected;
  const mb = size / 1e6;
  const report = { bytes: size, engine, encrypt: { ...e, mbps: mb / e.seconds }, decrypt: { ...d, mbps: mb / d.seconds }, roundTrip: same };
  console.log(JSON.stringify(report));
  if (!same) process.exitCode = 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
