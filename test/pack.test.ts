/**
 * The published package, as a user gets it: `npm pack` (scripts ignored: no rebuild), the
 * tarball's file list, then an offline install (dependencies from the npm cache) into an empty
 * folder with a PATH that has only `node`, `npm`, `npx` and `sh` (no compiler, no wasm toolchain,
 * no host openssl), and the CLI run from there. Also checks that Deno resolves the installed
 * package through its exports.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-pack-"));
const bin = path.join(tmp, "bin");
const app = path.join(tmp, "app");
const cache = path.join(tmp, "npm-cache");
/** A target or a (possibly nested) map of export conditions. */
type ExportTarget = string | { [condition: string]: ExportTarget };
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  exports: Record<string, ExportTarget>;
  dependencies?: Record<string, string>;
};

/** npm's own entry scripts, so npm and npx run without anything else on PATH. */
function npmCli(): { npm: string; npx: string } {
  const which = spawnSync("sh", ["-c", "command -v npm"], { encoding: "utf8" });
  const npm = fs.realpathSync(which.stdout.trim());
  return { npm, npx: path.join(path.dirname(npm), "npx-cli.js") };
}

/** The runtime dependencies' folder names under node_modules, from package-lock.json (dev-only ones left out). */
function runtimeDependencies(): string[] {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([at, p]) => at.startsWith("node_modules/") && p.dev !== true && p.devOptional !== true)
    .map(([at]) => at.slice("node_modules/".length).split("/")[0] ?? at);
}

/**
 * Fills the private cache with the developer's (or CI's) npm cache, where `npm ci` left the
 * dependencies' metadata and tarballs, so they install offline as from the registry. The index is
 * copied and the content, which cacache never rewrites, hard-linked: nothing this test installs
 * lands in the developer's cache.
 */
function seedCache(): void {
  const outer = spawnSync(process.execPath, [cli.npm, "config", "get", "cache"], { encoding: "utf8" }).stdout.trim();
  const from = path.join(outer, "_cacache");
  const to = path.join(cache, "_cacache");
  fs.cpSync(path.join(from, "index-v5"), path.join(to, "index-v5"), { recursive: true });
  const link = (dir: string) => {
    fs.mkdirSync(path.join(to, dir), { recursive: true });
    for (const e of fs.readdirSync(path.join(from, dir), { withFileTypes: true })) {
      const name = path.join(dir, e.name);
      if (e.isDirectory()) link(name);
      else {
        try {
          fs.linkSync(path.join(from, name), path.join(to, name));
        } catch {
          fs.copyFileSync(path.join(from, name), path.join(to, name)); // another filesystem
        }
      }
    }
  };
  link("content-v2");
}

/** A clean environment: no npm_* variables of the outer `npm test`, a private cache, the bare PATH. */
const env: NodeJS.ProcessEnv = {
  HOME: tmp,
  PATH: bin,
  LANG: "C.UTF-8",
  npm_config_cache: cache,
  npm_config_update_notifier: "false",
  npm_config_fund: "false",
  npm_config_audit: "false",
};

function run(command: string, args: readonly string[], cwd: string, e: NodeJS.ProcessEnv = env): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, { cwd, env: e, encoding: "utf8", timeout: 30_000 });
  if (r.error !== undefined) throw r.error;
  return r;
}

const show = (r: SpawnSyncReturns<string>) => `exit ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

let tarball = "";
let files: string[] = [];
let cli: { npm: string; npx: string };

beforeAll(() => {
  cli = npmCli();
  fs.mkdirSync(bin);
  fs.mkdirSync(app);
  // `#!/usr/bin/env node` scripts find node here; npm runs bin scripts through sh.
  fs.symlinkSync(process.execPath, path.join(bin, "node"));
  fs.symlinkSync("/bin/sh", path.join(bin, "sh"));
  fs.symlinkSync(cli.npm, path.join(bin, "npm"));
  fs.symlinkSync(cli.npx, path.join(bin, "npx"));

  const packed = run(process.execPath, [cli.npm, "pack", "--ignore-scripts", "--json", "--pack-destination", tmp], ROOT);
  expect(packed.status, show(packed)).toBe(0);
  const info = (JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[])[0];
  if (info === undefined) throw new Error(`npm pack printed no result: ${packed.stdout}`);
  tarball = path.join(tmp, info.filename);
  files = info.files.map((f) => f.path).sort();
}, 60_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("npm pack", () => {
  it("ships the built library, CLI, engine and recovery tools, and nothing of the build", () => {
    for (const f of ["package.json", "README.md", "LICENSE", "dist/cli/main.js", "dist/index.js", "dist/index.d.ts", "wasm/openssl.wasm", "wasm/manifest.json", "scripts/decrypt-with-openssl.sh", "docs/FORMAT.md", "docs/LEGACY.md"]) {
      expect(files, f).toContain(f);
    }
    const forbidden = /^(src|test|build|\.cache|node_modules|scripts\/openssl-wasm|\.ci|\.git)\//;
    expect(files.filter((f) => forbidden.test(f))).toEqual([]);
    // Only the recovery script: in particular not ensure-wasm.mjs, which `prepare` runs. Installing
    // a tarball never runs `prepare` (npm runs it for git and folder installs, and `npm pack`);
    // if it did, the offline install below would fail for want of that script and of tsc.
    expect(files.filter((f) => f.startsWith("scripts/"))).toEqual(["scripts/decrypt-with-openssl.sh"]);
    expect(files.filter((f) => f.startsWith("wasm/"))).toEqual(["wasm/manifest.json", "wasm/openssl.wasm"]);
  });

  it("ships every file that bin and exports name (the browser bundle once it is built)", () => {
    for (const target of Object.values(pkg.bin)) expect(files).toContain(path.normalize(target));
    const targetsOf = (t: ExportTarget): string[] => (typeof t === "string" ? [t] : Object.values(t).flatMap(targetsOf));
    const targets = Object.values(pkg.exports).flatMap(targetsOf);
    for (const target of targets) {
      const file = path.normalize(target);
      const builtHere = fs.existsSync(path.join(ROOT, file));
      // dist/browser/ comes from `npm run build:web`; a tree built with tsc alone has no such bundle yet.
      if (file.startsWith("dist/browser/") && !builtHere) continue;
      expect(files, target).toContain(file);
    }
  });

  it("the shipped wasm is the one the manifest pins", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "wasm/manifest.json"), "utf8")) as { wasm: { size: number } };
    expect(fs.statSync(path.join(ROOT, "wasm/openssl.wasm")).size).toBe(manifest.wasm.size);
  });
});

describe("installed from the tarball, offline, with no toolchain and no host openssl", () => {
  beforeAll(() => {
    seedCache();
    const r = run("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], app);
    expect(r.status, show(r)).toBe(0);
  }, 60_000);

  it("has only node on PATH", () => {
    for (const tool of ["openssl", "clang", "clang-16", "wasm-ld", "tsc", "deno"]) {
      expect(run("sh", ["-c", `command -v ${tool} || echo none`], app).stdout.trim(), tool).toBe("none");
    }
    // Nothing but the package and its runtime dependencies (no dev ones) was installed.
    expect(fs.readdirSync(path.join(app, "node_modules")).filter((n) => !n.startsWith(".")).sort()).toEqual([pkg.name, ...runtimeDependencies()].sort());
    const installed = path.join(app, "node_modules", pkg.name);
    expect(fs.existsSync(path.join(installed, "wasm", "openssl.wasm"))).toBe(true);
    expect(fs.existsSync(path.join(installed, "src"))).toBe(false);
  });

  it("npx opensslwrap selftest passes", () => {
    const r = run("npx", ["--offline", "opensslwrap", "selftest"], app);
    expect(r.status, show(r)).toBe(0);
    expect(r.stdout.trimEnd()).toMatch(/test SUCCESS, reporting complete$/);
  }, 30_000);

  it("genkeys, encrypt and decrypt round-trip through the installed CLI", () => {
    const ow = path.join(app, "node_modules", ".bin", "opensslwrap");
    const gen = run(ow, ["genkeys", "--out-dir", "keys", "--name", "lab", "--bits", "2048", "--no-passphrase"], app);
    expect(gen.status, show(gen)).toBe(0);
    const data = Buffer.from("participant,score\nP007,42\n".repeat(5000));
    fs.writeFileSync(path.join(app, "P007.csv"), data);
    const enc = run(ow, ["encrypt", "P007.csv", "--pubkey", "keys/lab.pub.pem"], app);
    expect(enc.status, show(enc)).toBe(0);
    expect(fs.existsSync(path.join(app, "P007.csv"))).toBe(false);
    const dec = run(ow, ["decrypt", "P007.csv.enc", "--privkey", "keys/lab.priv.pem"], app);
    expect(dec.status, show(dec)).toBe(0);
    expect(Buffer.compare(fs.readFileSync(path.join(app, "P007.csv")), data)).toBe(0);
  }, 30_000);

  it("opensslwrap/upload resolves by name, and the installed CLI opens its bundle", () => {
    const script = `import { readFileSync, writeFileSync } from "node:fs";
import { encryptForUpload } from "${pkg.name}/upload";
const blob = await encryptForUpload("from the upload export", { publicKeys: [readFileSync("keys/lab.pub.pem", "utf8")], name: "upload.txt" });
writeFileSync("upload.txt.enc", new Uint8Array(await blob.arrayBuffer()));`;
    const r = run("node", ["--input-type=module", "-e", script], app);
    expect(r.status, show(r)).toBe(0);
    const dec = run(path.join(app, "node_modules", ".bin", "opensslwrap"), ["decrypt", "upload.txt.enc", "--privkey", "keys/lab.priv.pem"], app);
    expect(dec.status, show(dec)).toBe(0);
    expect(fs.readFileSync(path.join(app, "upload.txt"), "utf8")).toBe("from the upload export");
  }, 30_000);

  it("the library resolves by name from node_modules (Node)", () => {
    const script = `import { decryptBytes, encryptBytes, generateKeyPair } from "${pkg.name}";
import { openssl } from "${pkg.name}/openssl";
const k = await generateKeyPair({ bits: 2048 });
const sealed = await encryptBytes(new TextEncoder().encode("hi"), { publicKeys: [k.publicKey] });
const { plaintext } = await decryptBytes(sealed, { privateKey: { key: k.privateKey } });
console.log(new TextDecoder().decode(plaintext), await openssl.version());`;
    const r = run("node", ["--input-type=module", "-e", script], app);
    expect(r.status, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^hi OpenSSL 3\.5\.7 /);
  }, 30_000);

  const deno = path.join(ROOT, "node_modules", ".bin", "deno");
  it.skipIf(!fs.existsSync(deno))("Deno resolves the installed package (deno condition, types) and runs it with read access to the folder only", () => {
    fs.writeFileSync(
      path.join(app, "check.ts"),
      `import { decryptBytes, encryptBytes, generateKeyPair } from "${pkg.name}";
const k = await generateKeyPair({ bits: 2048 });
const sealed: Uint8Array = await encryptBytes(new TextEncoder().encode("hi from deno"), { publicKeys: [k.publicKey] });
const { plaintext } = await decryptBytes(sealed, { privateKey: { key: k.privateKey } });
console.log(new TextDecoder().decode(plaintext));
`,
    );
    const denoEnv = { ...env, DENO_DIR: path.join(tmp, "deno-cache"), NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
    const r = run(deno, ["run", "--check", "--allow-read=.", "check.ts"], app, denoEnv);
    expect(r.status, show(r)).toBe(0);
    expect(r.stdout.trim()).toBe("hi from deno");
  }, 30_000);
});
