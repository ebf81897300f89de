#!/usr/bin/env node
// Streams a large host file through the wasm engine and reports speed and memory:
//   node scripts/stream-check.mjs [GiB]      (default 1; run `npm run build` first)
// enc (AES-256-CBC, -K/-iv) and HMAC-SHA256 over host-backed files, decrypt, and a hash check of
// the round trip, each next to the host's native openssl on the same file. Peak RSS is the whole
// process's, so it bounds heap + wasm memory together. Not a test: a measurement to report.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { digest, enc, hmac } from "../dist/index.js";
import { nodeHostFs } from "../dist/runtime/node-fs.js";
import { HostFile } from "../dist/wasi/index.js";

const gib = Number(process.argv[2] ?? "1");
const size = Math.round(gib * 2 ** 30);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osw-stream-"));
const file = (name) => path.join(dir, name);
const host = (name) => new HostFile(nodeHostFs, file(name));
const key = new Uint8Array(32).fill(0x11);
const iv = new Uint8Array(16).fill(0x22);
const mb = size / 1e6;

function pattern() {
  const chunk = Buffer.alloc(8 << 20);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  const fd = fs.openSync(file("plain"), "w");
  for (let done = 0; done < size; done += chunk.length) fs.writeSync(fd, chunk, 0, Math.min(chunk.length, size - done));
  fs.closeSync(fd);
}

async function timed(label, body) {
  const t = performance.now();
  await body();
  const s = (performance.now() - t) / 1000;
  return { label, s, mbps: mb / s };
}

function native(args) {
  return timed(`native ${args[0]}`, () => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "inherit"] }));
}

try {
  pattern();
  for (const name of ["cipher", "back"]) fs.writeFileSync(file(name), "", { mode: 0o600 });
  const hexKey = Buffer.from(key).toString("hex");
  const hexIv = Buffer.from(iv).toString("hex");
  const rows = [
    await timed("wasm enc", () => enc({ input: host("plain"), output: host("cipher"), key: { key, iv } })),
    await native(["enc", "-aes-256-cbc", "-K", hexKey, "-iv", hexIv, "-in", file("plain"), "-out", file("native")]),
    await timed("wasm enc -d", () => enc({ input: host("cipher"), output: host("back"), key: { key, iv }, decrypt: true })),
    await native(["enc", "-d", "-aes-256-cbc", "-K", hexKey, "-iv", hexIv, "-in", file("native"), "-out", "/dev/null"]),
    await timed("wasm hmac", () => hmac(key, host("cipher"))),
    await native(["dgst", "-sha256", "-mac", "HMAC", "-macopt", `hexkey:${hexKey}`, file("cipher")]),
  ];
  const same = Buffer.compare(Buffer.from(await digest(host("plain"))), Buffer.from(await digest(host("back")))) === 0;
  const nativeSame = Buffer.compare(Buffer.from(await digest(host("cipher"))), Buffer.from(await digest(host("native")))) === 0;
  console.log(`file ${gib} GiB (${size} bytes) on ${os.cpus()[0]?.model ?? "?"}, node ${process.version}`);
  for (const r of rows) console.log(`${r.label.padEnd(16)} ${r.s.toFixed(2).padStart(7)} s ${r.mbps.toFixed(0).padStart(6)} MB/s`);
  console.log(`round trip identical: ${same}; ciphertext identical to native: ${nativeSame}`);
  const ru = process.resourceUsage();
  console.log(`peak RSS ${(ru.maxRSS / 1024).toFixed(0)} MiB, heap used now ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`);
  if (!same || !nativeSame) process.exitCode = 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
