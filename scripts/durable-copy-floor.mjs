#!/usr/bin/env node
// node scripts/durable-copy-floor.mjs FILE... [--threads N] [--in-flight N] [--out-bytes N]
// The floor of a batch encryption: exactly the file operations `opensslwrap encrypt --keep` does
// for each file, and no cryptography. Each file is read, a temp file is created next to it (0600,
// O_EXCL) and written with as many bytes as its bundle would hold, fdatasync'd, renamed to
// FILE.copy, and the folder fsync'd. The work is spread like the CLI's batch: N worker threads
// (default: the cores, as the CLI), each with up to --in-flight files at a time (the CLI's 3 small
// files per worker), the fsyncs on libuv's thread pool. Used by scripts/bench.mjs.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { availableParallelism } from "node:os";
import * as path from "node:path";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

/** A bundle's bytes beyond the payload for one 3072-bit recipient: tar headers, header.txt, the wrapped key, meta.json, the tag, padding. */
const BUNDLE_OVERHEAD = 6144;

function option(args, name, fallback) {
  const i = args.indexOf(name);
  return i < 0 ? fallback : Number(args[i + 1]);
}

async function copyDurably(file, extra) {
  const data = fs.readFileSync(file);
  const final = `${file}.copy`;
  const temp = path.join(path.dirname(file), `.${path.basename(final)}.tmp-${randomBytes(6).toString("hex")}`);
  const fd = fs.openSync(temp, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    fs.writeSync(fd, data, 0, data.length, 0);
    fs.writeSync(fd, Buffer.alloc(extra), 0, extra, data.length);
    await new Promise((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, final);
  const dir = fs.openSync(path.dirname(file), "r");
  try {
    await new Promise((resolve, reject) => fs.fsync(dir, (e) => (e ? reject(e) : resolve())));
  } finally {
    fs.closeSync(dir);
  }
}

async function copyAll(files, inFlight, extra) {
  let next = 0;
  const lane = async () => {
    while (next < files.length) await copyDurably(files[next++], extra);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}

if (isMainThread) {
  const args = process.argv.slice(2);
  const files = args.filter((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--"));
  const threads = option(args, "--threads", availableParallelism());
  const inFlight = option(args, "--in-flight", 3);
  const extra = option(args, "--out-bytes", BUNDLE_OVERHEAD);
  // Files dealt out in turn, as the CLI hands the next file to the thread that finished one.
  const shares = Array.from({ length: threads }, (_, t) => files.filter((_, i) => i % threads === t));
  await Promise.all(
    shares.map(
      (share) =>
        new Promise((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), { workerData: { files: share, inFlight, extra } });
          w.once("message", resolve);
          w.once("error", reject);
        }),
    ),
  );
} else {
  await copyAll(workerData.files, workerData.inFlight, workerData.extra);
  parentPort.postMessage("done");
}
