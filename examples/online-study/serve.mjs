#!/usr/bin/env node
// Runs the online-study example on this computer: serves the jsPsych experiment and the
// collection server (POST /upload) on loopback, and prints the address.
//
//   npm run example:online-study [-- --pubkey LAB.pub.pem] [--data DIR] [--port N]
//
// Without --pubkey, a demo key pair is made once (with the opensslwrap CLI) in demo-keys/ here.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { collect } from "./collector.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const rel = (p) => path.relative(process.cwd(), p) || ".";

function fail(message) {
  console.error(`online-study: ${message}`);
  process.exit(1);
}

let args;
try {
  args = parseArgs({ options: { pubkey: { type: "string" }, data: { type: "string" }, port: { type: "string" }, host: { type: "string" } } }).values;
} catch (e) {
  console.error(`online-study: ${e.message}\nusage: npm run example:online-study -- [--pubkey LAB.pub.pem] [--data DIR] [--port N]`);
  process.exit(2);
}

/** The demo key pair (unprotected private key: for trying the example only). */
function demoKey() {
  const dir = path.join(here, "demo-keys");
  const pub = path.join(dir, "lab.pub.pem");
  if (fs.existsSync(pub)) return pub;
  const cli = path.join(root, "dist", "cli", "main.js");
  if (!fs.existsSync(cli)) fail("dist/cli/main.js is missing: run npm run build first (or give --pubkey)");
  const r = spawnSync(process.execPath, [cli, "genkeys", "--out-dir", dir, "--name", "lab", "--bits", "3072", "--no-passphrase"], { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) fail("could not make the demo key pair");
  return pub;
}

const pubkey = path.resolve(args.pubkey ?? demoKey());
if (!/-----BEGIN PUBLIC KEY-----/.test(fs.readFileSync(pubkey, "latin1"))) fail(`${rel(pubkey)} is not a PEM public key`);
const dataDir = path.resolve(args.data ?? path.join(here, "collected"));
fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });

const jspsych = path.dirname(createRequire(import.meta.url).resolve("jspsych"));
const plugin = path.dirname(createRequire(import.meta.url).resolve("@jspsych/plugin-html-keyboard-response"));
const upload = path.join(root, "dist", "upload", "opensslwrap-upload.min.js");
if (!fs.existsSync(upload)) fail("dist/upload/opensslwrap-upload.min.js is missing: run npm run build:upload");

/** Every file the page may load: nothing else is served. */
const FILES = {
  "/": [path.join(here, "index.html"), "text/html"],
  "/experiment.js": [path.join(here, "experiment.js"), "text/javascript"],
  "/opensslwrap-upload.min.js": [upload, "text/javascript"],
  "/lab.pub.pem": [pubkey, "application/x-pem-file"],
  "/jspsych/jspsych.js": [path.join(jspsych, "index.browser.min.js"), "text/javascript"],
  "/jspsych/jspsych.css": [path.join(jspsych, "..", "css", "jspsych.css"), "text/css"],
  "/jspsych/plugin-html-keyboard-response.js": [path.join(plugin, "index.browser.min.js"), "text/javascript"],
};
// jsPsych sets inline styles and its stylesheet embeds fonts; no inline script, no other origin.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src data:; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  res.setHeader("Content-Security-Policy", CSP);
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
  if (url.pathname === "/upload" && req.method === "POST") {
    collect(req, res, dataDir, console.log).catch((e) => {
      console.error(`online-study: storing a bundle failed: ${e.message}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
    return;
  }
  const file = FILES[url.pathname];
  if (file === undefined) return void res.writeHead(404).end();
  if (req.method !== "GET" && req.method !== "HEAD") return void res.writeHead(405, { Allow: "GET, HEAD" }).end();
  const [p, type] = file;
  res.writeHead(200, { "Content-Type": `${type}; charset=utf-8`, "Cache-Control": "no-cache" });
  if (req.method === "HEAD") return void res.end();
  fs.createReadStream(p).pipe(res);
});

server.listen(Number(args.port ?? 8090), args.host ?? "127.0.0.1", () => {
  const { address, port } = server.address();
  const host = address.includes(":") ? `[${address}]` : address;
  const privkey = args.pubkey === undefined ? rel(path.join(here, "demo-keys", "lab.priv.pem")) : "YOUR.priv.pem";
  console.log(`online study: http://${host}:${port}/?participant=P001`);
  console.log(`  lab public key: ${rel(pubkey)}`);
  console.log(`  bundles stored in ${rel(dataDir)}/ (this server holds no private key: it cannot read them)`);
  console.log(`  decrypt: npx opensslwrap decrypt ${rel(dataDir)}/*.enc --privkey ${privkey}`);
});
server.on("error", (e) => fail(e.message));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
