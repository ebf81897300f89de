import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { flag, parse, str, UsageError } from "./args.js";
import { help, say, warn } from "./io.js";

export const SERVE_HELP = `usage: opensslwrap serve [--port N] [--host H]

Serves the opensslwrap web page (encrypt, decrypt, rotate, generate keys, info, sign, verify in
the browser) from this package's dist/web/ folder (its engine from the package's wasm/) and prints
its address. Everything then runs in the browser: the server only hands out the page's own files,
with a strict Content-Security-Policy and the COOP/COEP headers that let the page use a second
worker. Stop it with Ctrl-C.

  --port N     port to listen on (default 8080; 0 picks a free one)
  --host H     address to listen on (default 127.0.0.1, this computer only). Browsers allow
               the page's cryptography only on https:// or on 127.0.0.1/localhost, so serving
               to other machines needs an https front end.`;

/** The built page, next to this module once compiled: dist/cli/serve.js -> dist/web/. */
export const WEB_ROOT = fileURLToPath(new URL("../web/", import.meta.url));
/**
 * The package's engine folder (dist/cli/serve.js or src/cli/serve.ts -> wasm/). The npm package
 * ships the wasm once, there, and not in dist/web/: requests for the page's engine files fall
 * back to it when the served folder has none.
 */
const ENGINE_DIR = fileURLToPath(new URL("../../wasm/", import.meta.url));
const ENGINE_FILES = new Set(["/openssl.wasm", "/manifest.json"]);

/** The package's own engine file for `/openssl.wasm` or `/manifest.json`, or undefined. */
function engineFile(urlPath: string): string | undefined {
  if (!ENGINE_FILES.has(urlPath)) return undefined;
  const file = path.join(ENGINE_DIR, urlPath.slice(1));
  return fs.existsSync(file) ? file : undefined;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/** Sent with every response (the page repeats it in a meta tag, for other static hosts). */
const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  "Content-Security-Policy": CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-cache",
};

/**
 * With COOP (above), what makes the page cross-origin isolated: it may then share memory with a
 * second worker, where the HMAC of large files runs (README, "In a browser").
 */
const ISOLATION_HEADERS = { "Cross-Origin-Embedder-Policy": "require-corp" };

export interface ServeOptions {
  /** Folder to serve (default: the package's dist/web/). */
  root?: string;
  port?: number;
  host?: string;
  /** false: no COEP header, as a static host that sends none (the page then runs on one worker). Default true. */
  crossOriginIsolated?: boolean;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080/ */
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * The file a request path names inside `root`, or undefined. Decodes the path once, refuses NUL
 * bytes, dot-files and anything that resolves (also through symbolic links) outside `root`;
 * a folder gives its index.html, never a listing.
 */
export function resolveRequest(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return undefined;
  if (decoded.split("/").some((part) => part.startsWith("."))) return undefined;
  const realRoot = fs.realpathSync(root);
  let file = path.resolve(realRoot, `.${path.posix.normalize(`/${decoded}`)}`);
  if (!inside(realRoot, file)) return undefined;
  try {
    if (fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
    const real = fs.realpathSync(file);
    return inside(realRoot, real) && fs.statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

function handler(root: string, isolated: boolean): http.RequestListener {
  const headers = isolated ? { ...SECURITY_HEADERS, ...ISOLATION_HEADERS } : SECURITY_HEADERS;
  return (req, res) => {
    const send = (status: number, message: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...headers, "Content-Type": "text/plain; charset=utf-8", ...extra });
      res.end(req.method === "HEAD" ? undefined : `${message}\n`);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed", { Allow: "GET, HEAD" });
    const url = new URL(req.url ?? "/", "http://localhost");
    const file = resolveRequest(root, url.pathname) ?? engineFile(url.pathname);
    if (file === undefined) return send(404, "not found");
    const stat = fs.statSync(file);
    res.writeHead(200, {
      ...headers,
      "Content-Type": TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream",
      "Content-Length": String(stat.size),
    });
    if (req.method === "HEAD") return void res.end();
    const stream = fs.createReadStream(file);
    stream.on("error", () => res.destroy());
    stream.pipe(res);
  };
}

/** Starts the static server; resolves once it listens. */
export function startServer(o: ServeOptions = {}): Promise<RunningServer> {
  const root = path.resolve(o.root ?? WEB_ROOT);
  if (o.root === undefined && !fs.existsSync(path.join(root, "index.html"))) return Promise.reject(new Error(`no web page in ${root} (build it with npm run build:web)`));
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) return Promise.reject(new Error(`${root} is not a folder`));
  const server = http.createServer(handler(root, o.crossOriginIsolated !== false));
  const host = o.host ?? "127.0.0.1";
  return new Promise((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => reject(e.code === "EADDRINUSE" ? new Error(`port ${o.port ?? 8080} is in use (choose another with --port)`) : e));
    server.listen(o.port ?? 8080, host, () => {
      const address = server.address() as AddressInfo;
      const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
      resolve({
        url: `http://${shown === "0.0.0.0" || shown === "[::]" ? "127.0.0.1" : shown}:${address.port}/`,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

export async function serveVerb(args: string[]): Promise<number> {
  const p = parse(args, { port: { type: "string" }, host: { type: "string" } });
  if (flag(p, "help")) return help(SERVE_HELP);
  if (p.positionals.length > 0) throw new UsageError("serve takes no FILE");
  const port = Number(str(p, "port") ?? "8080");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError("--port must be a whole number from 0 to 65535");
  const host = str(p, "host") ?? "127.0.0.1";
  const running = await startServer({ port, host });
  if (!/^(127\.|::1$|localhost$)/.test(host)) warn(`listening on ${host}: other machines can load the page, but browsers run its cryptography only over https:// (or on this computer at 127.0.0.1)`);
  say(`opensslwrap web page: ${running.url}`);
  say("Everything runs in the browser; press Ctrl-C to stop.");
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void running.close().then(resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  return 0;
}
