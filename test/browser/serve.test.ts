import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveRequest, startServer, type RunningServer } from "../../src/cli/serve.js";
import { CLI, cli } from "../helpers/cli.js";
import { PACKAGE_ROOT, requireBuild, WEB_DIST } from "./helpers.js";

/** `opensslwrap serve`: the static server for the web page. */

let server: RunningServer;
const outside = fs.mkdtempSync(path.join(os.tmpdir(), "osw-serve-"));

beforeAll(async () => {
  requireBuild();
  server = await startServer({ root: WEB_DIST, port: 0 });
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(outside, { recursive: true, force: true });
});

/** A raw request: the path goes on the wire as written (fetch would normalise `..` away). */
function get(rawPath: string, method = "GET", to: RunningServer = server): Promise<{ status: number; type: string | undefined; csp: string | undefined; body: string }> {
  const { port } = new URL(to.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: rawPath, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"], csp: res.headers["content-security-policy"] as string | undefined, body: Buffer.concat(chunks).toString("latin1") }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("static server", () => {
  it("serves the page's files with their MIME types and a strict CSP", async () => {
    const expected: [string, string][] = [
      ["/", "text/html; charset=utf-8"],
      ["/index.html", "text/html; charset=utf-8"],
      ["/app.js", "text/javascript; charset=utf-8"],
      ["/worker.js", "text/javascript; charset=utf-8"],
      ["/style.css", "text/css; charset=utf-8"],
      ["/openssl.wasm", "application/wasm"],
      ["/manifest.json", "application/json; charset=utf-8"],
      ["/favicon.svg", "image/svg+xml"],
    ];
    for (const [p, type] of expected) {
      const r = await get(p);
      expect([p, r.status, r.type]).toEqual([p, 200, type]);
      expect(r.csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    }
    expect((await get("/openssl.wasm")).body.length).toBe(fs.statSync(path.join(WEB_DIST, "openssl.wasm")).size);
    expect((await get("/index.html", "HEAD")).body).toBe("");
    expect((await get("/", "POST")).status).toBe(405);
  });

  it("sends COEP only when asked to isolate (the default), as a plain static host would not", async () => {
    const plain = await startServer({ root: WEB_DIST, port: 0, crossOriginIsolated: false });
    try {
      const headers = async (s: RunningServer) => (await fetch(`${s.url}worker.js`)).headers;
      expect((await headers(server)).get("cross-origin-embedder-policy")).toBe("require-corp");
      expect((await headers(plain)).get("cross-origin-embedder-policy")).toBeNull();
      expect((await headers(plain)).get("content-security-policy")).toContain("worker-src 'self'");
    } finally {
      await plain.close();
    }
  });

  it("hands out the package's wasm/ for the page's engine when the folder has none (the npm package ships it once)", async () => {
    const site = path.join(outside, "packed-web");
    fs.cpSync(WEB_DIST, site, { recursive: true });
    fs.rmSync(path.join(site, "openssl.wasm"));
    fs.rmSync(path.join(site, "manifest.json"));
    const own = await startServer({ root: site, port: 0 });
    try {
      const wasm = await get("/openssl.wasm", "GET", own);
      expect([wasm.status, wasm.type]).toEqual([200, "application/wasm"]);
      expect(Buffer.from(wasm.body, "latin1").equals(fs.readFileSync(path.join(PACKAGE_ROOT, "wasm", "openssl.wasm")))).toBe(true);
      expect(JSON.parse((await get("/manifest.json", "GET", own)).body)).toEqual(JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "wasm", "manifest.json"), "utf8")));
      // Only those two names: nothing else of wasm/ (or of the package) is reachable.
      expect((await get("/openssl.wasm/", "GET", own)).status).toBe(404);
      expect((await get("/wasm/openssl.wasm", "GET", own)).status).toBe(404);
    } finally {
      await own.close();
    }
  });

  it("never leaves its folder, lists no folder and hides dot-files", async () => {
    // outside/secret.txt next to the served folder outside/site, and a link from inside to outside
    const site = path.join(outside, "site");
    fs.mkdirSync(path.join(site, "sub"), { recursive: true });
    fs.writeFileSync(path.join(site, "index.html"), "<!doctype html><title>t</title>\n");
    fs.writeFileSync(path.join(site, ".hidden"), "hidden\n");
    fs.writeFileSync(path.join(outside, "secret.txt"), "outside\n");
    fs.symlinkSync(outside, path.join(site, "escape-link"));
    fs.symlinkSync(path.join(outside, "secret.txt"), path.join(site, "file-link.txt"));
    const own = await startServer({ root: site, port: 0 });
    try {
      for (const p of ["/../secret.txt", "/..%2fsecret.txt", "/%2e%2e/secret.txt", "/sub/..%2f..%2fsecret.txt", "/.%2e/secret.txt", "/escape-link/secret.txt", "/file-link.txt", "/%00index.html", "/..\\secret.txt", "/.hidden", "/sub/", "/nope.js", "/%zz"]) {
        const r = await get(p, "GET", own);
        expect([p, r.status]).toEqual([p, 404]);
        expect(r.body).not.toMatch(/outside|hidden/);
      }
      expect((await get("/", "GET", own)).body).toContain("<title>t</title>");
    } finally {
      await own.close();
    }
    expect(resolveRequest(WEB_DIST, "/")).toBe(fs.realpathSync(path.join(WEB_DIST, "index.html")));
  });

  it("runs as `opensslwrap serve`: prints its URL, serves, stops on SIGINT", async () => {
    expect(cli(["serve", "--help"], outside).stdout.toString()).toMatch(/^usage: opensslwrap serve \[--port N\] \[--host H\]/);
    expect(cli(["serve", "--port", "x"], outside).status).toBe(2);
    expect(cli(["--help"], outside).stdout.toString()).toMatch(/\n {2}serve {6}/);
    const child = spawn(process.execPath, [CLI, "serve", "--port", "0"], { cwd: outside, stdio: ["ignore", "pipe", "pipe"] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m?.[1] !== undefined) resolve(m[1]);
      });
      child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Everything runs locally in this browser");
    // COOP and COEP on every file: the page is cross-origin isolated (its MAC worker needs shared memory).
    expect([page.headers.get("cross-origin-opener-policy"), page.headers.get("cross-origin-embedder-policy")]).toEqual(["same-origin", "require-corp"]);
    const wasm = await fetch(`${url}openssl.wasm`);
    expect(wasm.headers.get("content-type")).toBe("application/wasm");
    expect(wasm.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
    await wasm.arrayBuffer();
    const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    expect(await exit).toBe(0);
  });
});
