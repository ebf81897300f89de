// The installed command-line tool, run by this Node as a user's shell would run its bin (Node only:
// the CLI is a Node program; Deno runs the library suites).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { describe, it } from "node:test";
import { pattern, sha256, tempDir } from "./helpers.mjs";

const manifestPath = createRequire(import.meta.url).resolve("opensslwrap/package.json");
const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
const main = path.join(path.dirname(manifestPath), manifest.bin.opensslwrap);
const dir = tempDir();

/** Runs `opensslwrap ARGS` in `cwd` with no terminal: stdin empty, output captured. */
function cli(args, cwd = dir) {
  const r = spawnSync(process.execPath, [main, ...args], { cwd, encoding: "utf8", input: "", timeout: 120_000 });
  if (r.error) throw r.error;
  return r;
}

const show = (r) => `exit ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

describe("opensslwrap (the installed CLI)", () => {
  it("is linked into node_modules/.bin", () => {
    const bin = path.join(path.dirname(manifestPath), "..", ".bin", process.platform === "win32" ? "opensslwrap.cmd" : "opensslwrap");
    assert.ok(fs.existsSync(bin), bin);
  });

  it("selftest passes", () => {
    const r = cli(["selftest"]);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout.trimEnd(), /test SUCCESS, reporting complete$/);
  });

  it("genkeys, encrypt, info and decrypt round-trip; decrypt refuses to overwrite (exit 1, one line)", () => {
    const gen = cli(["genkeys", "--out-dir", "keys", "--name", "lab", "--bits", "2048", "--no-passphrase"]);
    assert.equal(gen.status, 0, show(gen));
    const data = pattern(300_000);
    fs.mkdirSync(path.join(dir, "session 1"));
    const file = path.join("session 1", "P007.csv");
    fs.writeFileSync(path.join(dir, file), data);
    const enc = cli(["encrypt", file, "--pubkey", path.join("keys", "lab.pub.pem")]);
    assert.equal(enc.status, 0, show(enc));
    assert.equal(fs.existsSync(path.join(dir, file)), false);
    const info = cli(["info", `${file}.enc`]);
    assert.equal(info.status, 0, show(info));
    assert.match(info.stdout, /P007\.csv/);
    const dec = cli(["decrypt", `${file}.enc`, "--privkey", path.join("keys", "lab.priv.pem")]);
    assert.equal(dec.status, 0, show(dec));
    assert.equal(sha256(fs.readFileSync(path.join(dir, file))), sha256(data));
    const again = cli(["decrypt", `${file}.enc`, "--privkey", path.join("keys", "lab.priv.pem")]);
    assert.equal(again.status, 1, show(again));
    assert.equal(again.stderr.trim().split("\n").length, 1, again.stderr);
    assert.equal(sha256(fs.readFileSync(path.join(dir, file))), sha256(data));
  });

  it("openssl runs OpenSSL 3.5.7 on the real folder; a usage error exits 2", () => {
    fs.writeFileSync(path.join(dir, "abc.txt"), "abc");
    const r = cli(["openssl", "dgst", "-sha256", "-r", "abc.txt"]);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, /^ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad \*?abc\.txt/);
    assert.match(cli(["openssl", "version"]).stdout, /^OpenSSL 3\.5\.7 /);
    assert.equal(cli(["encrypt"]).status, 2);
  });
});
