import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "./helpers/cli.js";

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
