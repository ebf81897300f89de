import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, cli } from "./helpers/cli.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-cli-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("opensslwrap openssl", () => {
  it("generates a key in the current folder that host openssl accepts", () => {
    const r = cli(["openssl", "genrsa", "-out", "k.pem", "2048"], tmp);
    expect(r.status).toBe(0);
    const check = execFileSync("openssl", ["rsa", "-in", path.join(tmp, "k.pem"), "-check", "-noout"]).toString();
    expect(check).toContain("RSA key ok");
  });

  it("passes stdin and stdout through", () => {
    const r = cli(["openssl", "dgst", "-sha256"], tmp, "abc");
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toContain("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("resolves relative, parent and absolute paths as the host does", () => {
    fs.mkdirSync(path.join(tmp, "sub"), { recursive: true });
    fs.writeFileSync(path.join(tmp, "up.txt"), "abc");
    const r = cli(["openssl", "dgst", "-sha256", "-r", "../up.txt", path.join(tmp, "up.txt")], path.join(tmp, "sub"));
    expect(r.stderr).toBe("");
    const lines = r.stdout.toString().trim().split("\n");
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad /);
  });

  it("writes binary output on stdout unchanged", () => {
    fs.writeFileSync(path.join(tmp, "data.bin"), Buffer.alloc(100_000, 7));
    const args = ["enc", "-aes-256-cbc", "-K", "11".repeat(32), "-iv", "22".repeat(16), "-in", "data.bin"];
    const ours = cli(["openssl", ...args], tmp);
    const theirs = execFileSync("openssl", args, { cwd: tmp });
    expect(Buffer.compare(ours.stdout, theirs)).toBe(0);
  });

  it("passes OpenSSL's exit code and stderr through", () => {
    const r = cli(["openssl", "dgst", "-sha256", "no-such-file"], tmp);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no-such-file: No such file or directory/);
    expect(cli(["openssl", "nosuchcommand"], tmp).status).toBe(1);
  });
});

describe("opensslwrap", () => {
  it("rejects an unknown command with usage and exit 2", () => {
    const r = cli(["frobnicate"], tmp);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });
});

describe("opensslwrap openssl: the host environment, as for a native program", () => {
  const randConf = "openssl_conf = oc\n[oc]\nrandom = rs\n[rs]\nrandom = CTR-DRBG\ncipher = $ENV::DRBG_CIPHER\n";

  it("reads OPENSSL_CONF (relative to the working folder) and $ENV::NAME inside it", () => {
    fs.writeFileSync(path.join(tmp, "r.cnf"), randConf);
    const env = { ...process.env, OPENSSL_CONF: "r.cnf", DRBG_CIPHER: "AES-128-CTR" };
    const r = cli(["openssl", "list", "--random-instances"], tmp, undefined, env);
    expect(r.stderr).toBe("");
    expect(r.stdout.toString()).toContain("cipher: 'AES-128-CTR'");
    expect(cli(["openssl", "list", "--random-instances"], tmp).stdout.toString()).toContain("cipher: 'AES-256-CTR'");
  });

  it("takes -passin env:NAME", () => {
    const env = { ...process.env, KEY_PASS: "correct horse battery" };
    expect(cli(["openssl", "genpkey", "-algorithm", "ED25519", "-aes256", "-pass", "env:KEY_PASS", "-out", "ek.pem"], tmp, undefined, env).status).toBe(0);
    execFileSync("openssl", ["pkey", "-in", path.join(tmp, "ek.pem"), "-passin", "pass:correct horse battery", "-noout"]);
  });

  it("keeps its own working folder whatever OPENSSLWRAP_CWD the host has", () => {
    fs.writeFileSync(path.join(tmp, "here.txt"), "abc");
    const r = cli(["openssl", "dgst", "-sha256", "-r", "here.txt"], tmp, undefined, { ...process.env, OPENSSLWRAP_CWD: "/" });
    expect(r.stdout.toString()).toMatch(/^ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad \*here.txt/);
  });
});

describe.skipIf(process.platform === "win32")("opensslwrap openssl: outputs that are not regular files", () => {
  it("writes to /dev/null", () => {
    const r = cli(["openssl", "rand", "-out", "/dev/null", "1"], tmp);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("writes to /dev/stdout and reads /dev/stdin when they are pipes", () => {
    const out = execFileSync("sh", ["-c", '"$0" "$1" openssl rand -hex -out /dev/stdout 8 | cat', process.execPath, CLI], { cwd: tmp });
    expect(out.toString()).toMatch(/^[0-9a-f]{16}\n$/);
    const dgst = execFileSync("sh", ["-c", 'printf abc | "$0" "$1" openssl dgst -sha256 -r /dev/stdin', process.execPath, CLI], { cwd: tmp });
    expect(dgst.toString()).toMatch(/^ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad /);
  });

  it("fails on /dev/stdout as native openssl does when stdout is a socket (Node's child stdio)", () => {
    const args = ["rand", "-hex", "-out", "/dev/stdout", "8"];
    const ours = cli(["openssl", ...args], tmp);
    const native = spawnSync("openssl", args, { cwd: tmp });
    expect([ours.status, native.status]).toEqual([1, 1]);
    expect(ours.stderr.split("\n")[0]).toBe(native.stderr.toString().split("\n")[0]);
  });

  it("writes to and reads from a named pipe", async () => {
    const fifo = path.join(tmp, "fifo");
    execFileSync("mkfifo", [fifo]);
    // The reader runs on its own: opening a FIFO for writing waits for one (as it does natively).
    const reader = spawn("cat", [fifo]);
    const read = new Promise<string>((resolve) => {
      let text = "";
      reader.stdout.on("data", (c: Buffer) => (text += c.toString()));
      reader.on("close", () => resolve(text));
    });
    const w = cli(["openssl", "rand", "-hex", "-out", "fifo", "8"], tmp);
    expect(w.stderr).toBe("");
    expect(await read).toMatch(/^[0-9a-f]{16}\n$/);
    const writer = spawn("sh", ["-c", 'printf abc > "$1"', "sh", fifo]);
    const r = cli(["openssl", "dgst", "-sha256", "-r", "fifo"], tmp);
    await new Promise((resolve) => writer.on("close", resolve));
    expect(r.stdout.toString()).toMatch(/^ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad \*fifo/);
  });

  it("still truncates a regular file it overwrites", () => {
    fs.writeFileSync(path.join(tmp, "old.txt"), "a much longer stale content than 8 random bytes\n");
    expect(cli(["openssl", "rand", "-hex", "-out", "old.txt", "4"], tmp).status).toBe(0);
    expect(fs.readFileSync(path.join(tmp, "old.txt"), "utf8")).toMatch(/^[0-9a-f]{8}\n$/);
  });
});
