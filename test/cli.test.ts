import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./helpers/cli.js";
import { pattern } from "./helpers/data.js";
import { hostKey, type TestKey } from "./helpers/keys.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-cli-verbs-"));
let lab: TestKey;
let pi: TestKey;
let weak: TestKey;
beforeAll(() => {
  lab = hostKey(tmp, "lab");
  pi = hostKey(tmp, "pi", 2048, "pi secret");
  weak = hostKey(tmp, "weak", 1024);
  fs.writeFileSync(path.join(tmp, "pi.pass"), "pi secret\n");
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function work(files: Record<string, Uint8Array | string> = {}): string {
  const dir = path.join(tmp, `c${n++}`);
  fs.mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

describe("encrypt / decrypt", () => {
  it("round-trips several files for two recipients and prints paths", () => {
    const data = pattern(200_000);
    const dir = work({ "a.bin": data, "b b.txt": "second file\n" });
    const enc = cli(["encrypt", "a.bin", "b b.txt", "--pubkey", lab.pub, "--pubkey", pi.pub], dir);
    expect(enc.stderr).toContain("3072 or more is recommended");
    expect(enc.status).toBe(0);
    expect(enc.stdout.toString().trim().split("\n")).toEqual(["a.bin.enc", "b b.txt.enc"]);
    expect(fs.readdirSync(dir).sort()).toEqual(["a.bin.enc", "b b.txt.enc"]);
    const dec = cli(["decrypt", "a.bin.enc", "b b.txt.enc", "--privkey", pi.priv, "--passphrase-file", path.join(tmp, "pi.pass"), "--json"], dir);
    expect(dec.status).toBe(0);
    // One JSON object per bundle and line.
    expect(dec.stdout.toString().trim().split("\n").map((l) => JSON.parse(l) as unknown)).toEqual([
      { path: "a.bin.enc", ok: true, output: "a.bin", warnings: [] },
      { path: "b b.txt.enc", ok: true, output: "b b.txt", warnings: [] },
    ]);
    expect(Buffer.compare(fs.readFileSync(path.join(dir, "a.bin")), data)).toBe(0);
    const again = cli(["decrypt", "a.bin.enc", "--privkey", lab.priv], dir);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^opensslwrap: output .*a\.bin exists; not overwriting \(use --force\)\n$/);
    expect(cli(["decrypt", "a.bin.enc", "--privkey", lab.priv, "--force", "--out", "copy.bin"], dir).status).toBe(0);
    expect(Buffer.compare(fs.readFileSync(path.join(dir, "copy.bin")), data)).toBe(0);
  });

  it("encrypts a batch on worker threads, printing bundles in input order, and reports failures per file", () => {
    const files = Object.fromEntries(Array.from({ length: 24 }, (_, i) => [`f${String(i).padStart(2, "0")}.txt`, `file ${i}\n`]));
    const dir = work(files);
    fs.writeFileSync(path.join(dir, "f05.txt.enc"), "already here");
    const r = cli(["encrypt", ...Object.keys(files), "--pubkey", lab.pub], dir);
    expect(r.status).toBe(1);
    expect(r.stdout.toString().trim().split("\n")).toEqual(Object.keys(files).filter((f) => f !== "f05.txt").map((f) => `${f}.enc`));
    expect(r.stderr).toMatch(/^opensslwrap: f05\.txt: output .*f05\.txt\.enc exists; not overwriting/m);
    expect(r.stderr.match(/3072 or more is recommended/g)).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, "f05.txt"), "utf8")).toBe("file 5\n");
    const bundles = Object.keys(files).filter((f) => f !== "f05.txt").map((f) => `${f}.enc`);
    expect(cli(["decrypt", ...bundles, "--privkey", lab.priv], dir).status).toBe(0);
    for (const [name, content] of Object.entries(files)) expect(fs.readFileSync(path.join(dir, name), "utf8")).toBe(content);
  });

  it("checks the keys of a batch once, while its worker threads start: a bad key is one line and nothing is written", () => {
    const files = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`g${String(i).padStart(2, "0")}.txt`, `file ${i}\n`]));
    const dir = work(files);
    for (const [key, message] of [
      [weak.pub, /^opensslwrap: RSA key too short: 1024 bits/],
      [lab.priv, /^opensslwrap: a private key was given where a public key is expected/],
    ] as const) {
      const r = cli(["encrypt", ...Object.keys(files), "--pubkey", key], dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(fs.readdirSync(dir).sort()).toEqual(Object.keys(files));
    }
  });

  it("hands big and small files of one batch to the worker threads and encrypts them all", () => {
    const big = pattern(5 << 20, 7);
    const files: Record<string, string | Uint8Array> = Object.fromEntries(Array.from({ length: 18 }, (_, i) => [`h${String(i).padStart(2, "0")}.txt`, `file ${i}\n`]));
    files["h03.txt"] = big;
    files["h11.txt"] = big;
    const dir = work(files);
    const r = cli(["encrypt", ...Object.keys(files), "--pubkey", lab.pub], dir);
    expect(r.status).toBe(0);
    expect(r.stdout.toString().trim().split("\n")).toEqual(Object.keys(files).map((f) => `${f}.enc`));
    expect(cli(["decrypt", ...Object.keys(files).map((f) => `${f}.enc`), "--privkey", lab.priv], dir).status).toBe(0);
    for (const [name, content] of Object.entries(files)) expect(Buffer.compare(fs.readFileSync(path.join(dir, name)), Buffer.from(content))).toBe(0);
  });

  it("takes the passphrase from the environment", () => {
    const dir = work({ "d.txt": "x" });
    expect(cli(["encrypt", "d.txt", "--pubkey", pi.pub, "--keep", "--json"], dir).status).toBe(0);
    fs.rmSync(path.join(dir, "d.txt"));
    const r = cli(["decrypt", "d.txt.enc", "--privkey", pi.priv], dir, undefined, { ...process.env, OPENSSLWRAP_PASSPHRASE: "pi secret" });
    expect(r.status).toBe(0);
  });

  it("gives one clear line and exit 1 for each refusal", () => {
    const dir = work({ "d.txt": "data" });
    const cases: [string[], RegExp][] = [
      [["encrypt", "d.txt", "--pubkey", weak.pub], /RSA key too short: 1024 bits/],
      [["encrypt", "d.txt", "--pubkey", lab.priv], /private key was given where a public key is expected/],
    ];
    for (const [args, message] of cases) {
      const r = cli(args, dir);
      expect(r.status, args.join(" ")).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
    expect(fs.readdirSync(dir)).toEqual(["d.txt"]);
    expect(cli(["encrypt", "d.txt", "--pubkey", lab.pub, "--keep"], dir).status).toBe(0);
    const refusals: [string[], RegExp][] = [
      [["decrypt", "d.txt.enc", "--privkey", pi.priv, "--passphrase-file", path.join(tmp, "lab.pub.pem"), "--out", "o"], /wrong passphrase/],
      [["decrypt", "d.txt.enc", "--privkey", pi.priv, "--out", "o"], /passphrase is needed|passphrase-protected/],
      [["decrypt", "d.txt.enc", "--privkey", pi.priv, "--passphrase-file", path.join(tmp, "pi.pass"), "--out", "o"], /wrong private key: .*recipients: [0-9a-f]{64}/],
      [["decrypt", "d.txt.enc", "--privkey", lab.pub, "--out", "o"], /public key was given where a private key is needed/],
      [["decrypt", "d.txt", "--privkey", lab.priv, "--out", "o"], /^opensslwrap: not an opensslwrap bundle \(not a tar archive\)$/m],
    ];
    for (const [args, message] of refusals) {
      const r = cli(args, dir);
      expect(r.status, args.join(" ")).toBe(1);
      expect(r.stderr, args.join(" ")).toMatch(message);
      expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
    }
    expect(fs.existsSync(path.join(dir, "o"))).toBe(false);
  });

  it("refuses usage errors with exit 2", () => {
    const dir = work({ "d.txt": "x" });
    for (const args of [["encrypt", "d.txt"], ["encrypt", "--pubkey", lab.pub], ["decrypt", "x.enc"], ["encrypt", "d.txt", "--pubkey", lab.pub, "--bogus"], ["encrypt", "d.txt", "--pubkey", lab.pub, "--note", "x".repeat(121)], ["nosuch"]]) {
      const r = cli(args, dir);
      expect(r.status, args.join(" ")).toBe(r.stderr.includes("120") ? 1 : 2);
    }
  });

  it("has help for every verb", () => {
    for (const verb of ["genkeys", "encrypt", "decrypt", "rotate", "sign", "verify", "info", "fingerprint", "selftest"]) {
      const r = cli([verb, "--help"], tmp);
      expect(r.status, verb).toBe(0);
      expect(r.stdout.toString()).toContain(`usage: opensslwrap ${verb}`);
    }
  });
});

describe("genkeys, rotate, info", () => {
  it("makes keys that encrypt, rotate and decrypt; info shows history", () => {
    const dir = work({ "p.csv": "id,rt\n1,300\n" });
    expect(cli(["genkeys", "--out-dir", "k", "--name", "new", "--bits", "2048", "--passphrase-file", path.join(tmp, "pi.pass")], dir).status).toBe(0);
    expect(fs.statSync(path.join(dir, "k", "new.priv.pem")).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, "k", "new.priv.pem"), "utf8")).toContain("BEGIN ENCRYPTED PRIVATE KEY");
    execFileSync("openssl", ["pkey", "-in", path.join(dir, "k", "new.priv.pem"), "-passin", "pass:pi secret", "-noout"]);
    expect(cli(["genkeys", "--out-dir", "k", "--name", "new", "--no-passphrase"], dir).status).toBe(1);
    expect(cli(["encrypt", "p.csv", "--pubkey", lab.pub, "--note", "before rotation"], dir).status).toBe(0);
    const rot = cli(["rotate", "p.csv.enc", "--privkey", lab.priv, "--pubkey", "k/new.pub.pem"], dir);
    expect(rot.status, rot.stderr).toBe(0);
    expect(cli(["decrypt", "p.csv.enc", "--privkey", lab.priv], dir).status).toBe(1);
    const info = cli(["info", "p.csv.enc", "--json"], dir);
    const meta = JSON.parse(info.stdout.toString()) as { meta: { history: unknown[]; note: string } };
    expect(meta.meta.history).toHaveLength(1);
    expect(meta.meta.note).toBe("before rotation");
    const dec = cli(["decrypt", "p.csv.enc", "--privkey", "k/new.priv.pem", "--passphrase-file", path.join(tmp, "pi.pass")], dir);
    expect(dec.status, dec.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, "p.csv"), "utf8")).toBe("id,rt\n1,300\n");
  });
});

describe("sign / verify", () => {
  it("signs RSA-PSS verifiable by host openssl, and verifies host PSS and PKCS#1 signatures", () => {
    const dir = work({ "f.dat": pattern(10_000) });
    const s = cli(["sign", "f.dat", "--privkey", lab.priv, "--out", "f.sig"], dir);
    expect(s.status).toBe(0);
    fs.writeFileSync(path.join(dir, "f.sig.bin"), Buffer.from(fs.readFileSync(path.join(dir, "f.sig"), "utf8"), "base64"));
    const host = execFileSync("openssl", ["dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest", "-verify", lab.pub, "-signature", "f.sig.bin", "f.dat"], { cwd: dir });
    expect(host.toString()).toContain("Verified OK");
    expect(cli(["verify", "f.dat", "--pubkey", lab.pub, "--sig", "f.sig"], dir).status).toBe(0);
    execFileSync("openssl", ["dgst", "-sha256", "-sign", lab.priv, "-out", "pkcs1.bin", "f.dat"], { cwd: dir });
    expect(cli(["verify", "f.dat", "--pubkey", lab.pub, "--sig", "pkcs1.bin"], dir).status).toBe(0);
    // --sig is always a file: base64 typed there is a missing file, a usage error.
    const b64 = fs.readFileSync(path.join(dir, "pkcs1.bin")).toString("base64");
    const inline = cli(["verify", "f.dat", "--pubkey", lab.pub, "--sig", b64], dir);
    expect(inline.status).toBe(2);
    expect(inline.stderr).toMatch(/^opensslwrap: --sig .{40}\.\.\.: no such file \(--sig takes a file/);
    fs.appendFileSync(path.join(dir, "f.dat"), "x");
    const bad = cli(["verify", "f.dat", "--pubkey", lab.pub, "--sig", "f.sig"], dir);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("NOT verified");
  });

  it("signs a bundle on encryption", () => {
    const dir = work({ "s.txt": "signed data" });
    const r = cli(["encrypt", "s.txt", "--pubkey", lab.pub, "--sign-with", pi.priv, "--passphrase-file", path.join(tmp, "pi.pass")], dir);
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(cli(["info", "s.txt.enc", "--json"], dir).stdout.toString()) as { signers: string[] };
    expect(info.signers).toHaveLength(1);
    execFileSync("tar", ["xf", "s.txt.enc"], { cwd: dir });
    const signed = Buffer.concat(["header.txt", "key-1.oaep", "payload.bin"].map((m) => fs.readFileSync(path.join(dir, m))));
    fs.writeFileSync(path.join(dir, "signed.bin"), signed);
    const host = execFileSync("openssl", ["dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest", "-verify", pi.pub, "-signature", "sig-1.pss", "signed.bin"], { cwd: dir });
    expect(host.toString()).toContain("Verified OK");
  });
});

describe("selftest", () => {
  it("ends with the success line", () => {
    const r = cli(["selftest"], tmp);
    expect(r.status).toBe(0);
    expect(r.stdout.toString().trimEnd().split("\n").pop()).toBe("test SUCCESS, reporting complete");
  });
});
