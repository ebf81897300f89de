/**
 * The published package, as a user gets it: `npm run package` (scripts/pack.mjs: npm's file list,
 * a publish manifest without scripts), the tarball's contents, then the portable suite
 * (scripts/test-portable.mjs) against it, installed offline into an empty folder with a PATH that
 * has only `node`, `npm`, `npx`, `sh` and `deno` (no compiler, no wasm toolchain, no host openssl,
 * no browser), a fresh HOME and an empty npm cache: nothing of this machine's npm set-up is used.
 * Then the TypeScript view of the installed package: Node types without the DOM lib, browser
 * types under the `browser` condition, and Deno's type check.
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
const installed = path.join(app, "node_modules", "opensslwrap");
const DENO = path.join(ROOT, "node_modules", ".bin", "deno");
const TSC = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
/** A target or a (possibly nested) map of export conditions. */
type ExportTarget = string | { [condition: string]: ExportTarget };
interface Manifest {
  name: string;
  bin: Record<string, string>;
  exports: Record<string, ExportTarget>;
  files: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as Manifest;

/** A clean environment: no npm_* variables of the outer `npm test`, a fresh HOME, the bare PATH. */
const env: NodeJS.ProcessEnv = {
  HOME: tmp,
  PATH: bin,
  LANG: "C.UTF-8",
  npm_config_update_notifier: "false",
  npm_config_fund: "false",
  npm_config_audit: "false",
};

function run(command: string, args: readonly string[], cwd: string, timeout = 60_000): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout });
  if (r.error !== undefined) throw r.error;
  return r;
}

const show = (r: SpawnSyncReturns<string>) => `exit ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

let files: string[] = [];
let unpackedSize = 0;
let portable: SpawnSyncReturns<string>;

beforeAll(() => {
  fs.mkdirSync(bin);
  // npm's own entry scripts, so npm and npx run without anything else on PATH.
  const npm = fs.realpathSync(spawnSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).stdout.trim());
  // `#!/usr/bin/env node` scripts find node here; npm runs bin scripts through sh.
  fs.symlinkSync(process.execPath, path.join(bin, "node"));
  fs.symlinkSync("/bin/sh", path.join(bin, "sh"));
  fs.symlinkSync(npm, path.join(bin, "npm"));
  fs.symlinkSync(path.join(path.dirname(npm), "npx-cli.js"), path.join(bin, "npx"));
  fs.symlinkSync(DENO, path.join(bin, "deno"));

  const packed = run(process.execPath, [path.join(ROOT, "scripts", "pack.mjs"), "--json", "--out", tmp], ROOT);
  expect(packed.status, show(packed)).toBe(0);
  const info = JSON.parse(packed.stdout) as { files: { path: string }[]; unpackedSize: number };
  files = info.files.map((f) => f.path).sort();
  unpackedSize = info.unpackedSize;

  portable = run(process.execPath, [path.join(ROOT, "scripts", "test-portable.mjs"), "--dir", app], ROOT, 400_000);
}, 420_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("npm run package", () => {
  it("ships the built library, CLI, engine and recovery tools, and nothing of the build", () => {
    for (const f of ["package.json", "README.md", "LICENSE", "dist/cli/main.js", "dist/index.js", "dist/index.d.ts", "dist/web/index.html", "wasm/openssl.wasm", "wasm/manifest.json", "scripts/decrypt-with-openssl.sh", "docs/FORMAT.md", "docs/LEGACY.md"]) {
      expect(files, f).toContain(f);
    }
    const forbidden = /^(src|test|build|\.cache|node_modules|scripts\/openssl-wasm|\.ci|\.git|\.github)\//;
    expect(files.filter((f) => forbidden.test(f))).toEqual([]);
    // Only the recovery script: nothing that builds (the published manifest runs no script).
    expect(files.filter((f) => f.startsWith("scripts/"))).toEqual(["scripts/decrypt-with-openssl.sh"]);
  });

  it("ships the engine once: the browser bundle and the served page use wasm/", () => {
    expect(files.filter((f) => f.endsWith(".wasm"))).toEqual(["wasm/openssl.wasm"]);
    expect(files.filter((f) => f.endsWith("manifest.json"))).toEqual(["wasm/manifest.json"]);
    const wasm = fs.statSync(path.join(ROOT, "wasm", "openssl.wasm")).size;
    expect(unpackedSize).toBeLessThan(wasm + 1_500_000);
  });

  it("ships every file that bin and exports name", () => {
    for (const target of Object.values(pkg.bin)) expect(files).toContain(path.normalize(target));
    const targetsOf = (t: ExportTarget): string[] => (typeof t === "string" ? [t] : Object.values(t).flatMap(targetsOf));
    for (const target of Object.values(pkg.exports).flatMap(targetsOf)) expect(files, target).toContain(path.normalize(target));
  });

  it("publishes a manifest with no scripts and no devDependencies, and refuses `npm publish` of the repo itself", () => {
    const published = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")) as Manifest;
    expect(published.scripts).toBeUndefined();
    expect(published.devDependencies).toBeUndefined();
    expect(published).toEqual(Object.fromEntries(Object.entries(pkg).filter(([field]) => !["scripts", "devDependencies", "allowScripts"].includes(field))));
    expect(pkg.scripts?.["prepublishOnly"]).toMatch(/process\.exit\(1\)/);
  });
});

describe("installed from the tarball, offline, with only node, npm and deno on PATH", () => {
  it("has no toolchain, no openssl, no browser on PATH", () => {
    for (const tool of ["openssl", "clang", "clang-16", "wasm-ld", "tsc", "chromium"]) {
      expect(run("sh", ["-c", `command -v ${tool} || echo none`], app).stdout.trim(), tool).toBe("none");
    }
  });

  it("installed the package and its runtime dependencies only, without the build", () => {
    const names = fs.readdirSync(path.join(app, "node_modules")).filter((n) => !n.startsWith("."));
    expect(names).toContain(pkg.name);
    for (const dev of Object.keys(pkg.devDependencies ?? {})) expect(names).not.toContain(dev.split("/")[0]);
    for (const dep of Object.keys(pkg.dependencies ?? {})) expect(names).toContain(dep);
    expect(fs.existsSync(path.join(installed, "src"))).toBe(false);
  });

  it("resolves opensslwrap/openssl and opensslwrap/upload by name; the installed CLI opens an upload bundle", () => {
    const keys = run(path.join(app, "node_modules", ".bin", "opensslwrap"), ["genkeys", "--out-dir", "upload-keys", "--name", "lab", "--bits", "2048", "--no-passphrase"], app);
    expect(keys.status, show(keys)).toBe(0);
    const script = `import { readFileSync, writeFileSync } from "node:fs";
import { openssl } from "${pkg.name}/openssl";
import { encryptForUpload } from "${pkg.name}/upload";
const blob = await encryptForUpload("from the upload export", { publicKeys: [readFileSync("upload-keys/lab.pub.pem", "utf8")], name: "upload.txt" });
writeFileSync("upload.txt.enc", new Uint8Array(await blob.arrayBuffer()));
console.log(await openssl.version());`;
    const r = run("node", ["--input-type=module", "-e", script], app);
    expect(r.status, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^OpenSSL 3\.5\.7 /);
    const dec = run(path.join(app, "node_modules", ".bin", "opensslwrap"), ["decrypt", "upload.txt.enc", "--privkey", "upload-keys/lab.priv.pem"], app);
    expect(dec.status, show(dec)).toBe(0);
    expect(fs.readFileSync(path.join(app, "upload.txt"), "utf8")).toBe("from the upload export");
  }, 60_000);

  it("passes the portable suite under Node and Deno (npm run test:portable)", () => {
    expect(portable.status, show(portable)).toBe(0);
    expect(portable.stdout).toMatch(/^# fail 0$/m);
    expect(portable.stdout).toMatch(/^ok \| \d+ passed \(\d+ steps\) \| 0 failed/m);
    expect(portable.stdout).toContain("test-portable: passed (node, deno)");
  });
});

describe("the installed package's types", () => {
  // One tsc run over the DOM lib takes ~10 s on an idle 2-core machine, several times that when it is busy.
  const TSC_TIMEOUT = 120_000;
  function tsc(file: string, source: string, options: string[]): SpawnSyncReturns<string> {
    fs.writeFileSync(path.join(app, file), source);
    return spawnSync(process.execPath, [TSC, "--noEmit", "--strict", "--target", "ES2022", ...options, file], { cwd: app, encoding: "utf8" });
  }

  it("the Node entry compiles without the DOM lib (lib ES2022, types node)", () => {
    const source = `import { decrypt, encrypt, encryptBytes, type EncryptOptions } from "opensslwrap";
import { runOpenSSL } from "opensslwrap/openssl";
const o: EncryptOptions = { publicKeys: [new Uint8Array(0)] };
export const all = [decrypt, encrypt, encryptBytes(new Uint8Array(1), o), runOpenSSL(["version"])];
`;
    const r = tsc("node-consumer.mts", source, ["--module", "nodenext", "--moduleResolution", "nodenext", "--lib", "ES2022", "--types", "node", "--typeRoots", path.join(ROOT, "node_modules", "@types")]);
    expect(r.status, show(r)).toBe(0);
  }, TSC_TIMEOUT);

  it("the browser condition gives the browser types (moduleResolution bundler, customConditions browser)", () => {
    const source = `import { encryptBlob, loadBrowserEngine } from "opensslwrap";\nexport const all = [encryptBlob, loadBrowserEngine];\n`;
    const options = ["--module", "esnext", "--moduleResolution", "bundler", "--lib", "ES2022,DOM", "--typeRoots", path.join(app, "no-types")];
    const browser = tsc("browser-consumer.ts", source, [...options, "--customConditions", "browser"]);
    expect(browser.status, show(browser)).toBe(0);
    // Without the condition the same import is the Node entry, which has no loadBrowserEngine.
    expect(tsc("browser-consumer.ts", source, options).stdout).toMatch(/has no exported member 'loadBrowserEngine'/);
  }, 2 * TSC_TIMEOUT);

  it("Deno type-checks a TypeScript consumer and runs it with read access to the folder only", () => {
    fs.writeFileSync(
      path.join(app, "check.ts"),
      `import { decryptBytes, encryptBytes, generateKeyPair } from "${pkg.name}";
const k = await generateKeyPair({ bits: 2048 });
const sealed: Uint8Array = await encryptBytes(new TextEncoder().encode("hi from deno"), { publicKeys: [k.publicKey] });
const { plaintext } = await decryptBytes(sealed, { privateKey: { key: k.privateKey } });
console.log(new TextDecoder().decode(plaintext));
`,
    );
    const r = spawnSync(DENO, ["run", "--check", "--allow-read=.", "check.ts"], {
      cwd: app,
      env: { ...env, DENO_DIR: path.join(tmp, "deno-dir"), NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.status, show(r)).toBe(0);
    expect(r.stdout.trim()).toBe("hi from deno");
  }, 60_000);
});
