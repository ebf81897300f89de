import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, folders } from "./helpers/cli.js";
import { pattern } from "./helpers/data.js";
import { hostKey, type TestKey } from "./helpers/keys.js";
import { fingerprint, members, rebuild, tree } from "./hardening/util.js";

/**
 * The command line's signatures: `verify FILE --sig SIGFILE` strict about length (one line giving
 * the reason, exit 1), `--sig` always a file (missing: exit 2), `sign --out` never replacing a file
 * without --force, and a bundle's own signatures: `decrypt --signer`, `info --signer`, `verify BUNDLE`.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-cli-sig-"));
let a: TestKey;
let b: TestKey;
let c: TestKey;
beforeAll(() => {
  a = hostKey(tmp, "a");
  b = hostKey(tmp, "b");
  c = hostKey(tmp, "c", 3072);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const work = folders(tmp);

const sign = (key: TestKey, data: Uint8Array, padding = crypto.constants.RSA_PKCS1_PSS_PADDING) => crypto.sign("sha256", data, { key: key.privPem, padding, saltLength: 32 });
const notVerified = (reason: RegExp) => new RegExp(`^opensslwrap: signature NOT verified: ${reason.source}\\n$`);

describe("verify FILE --sig SIGFILE", () => {
  it("verifies base64 and raw, PSS and PKCS#1 v1.5 signatures; refuses every other length with its reason", () => {
    const data = pattern(50_000, 3);
    const pss = sign(a, data);
    const pkcs1 = sign(a, data, crypto.constants.RSA_PKCS1_PADDING);
    const b64 = (x: Uint8Array) => `${Buffer.from(x).toString("base64")}\n`;
    const dir = work({
      "d.bin": data,
      "pss.sig": b64(pss),
      "pss.bin": pss,
      "pkcs1.bin": pkcs1,
      "zeros.bin": Buffer.concat([pss, Buffer.alloc(4)]),
      "junk.bin": Buffer.concat([pss, Buffer.from("JUNK")]),
      "deadbeef.bin": Buffer.concat([pkcs1, Buffer.from("deadbeef", "hex")]),
      "deadbeef.sig": b64(Buffer.concat([pss, Buffer.from("deadbeef", "hex")])),
      "junk.sig": `${Buffer.from(pss).toString("base64")}JUNK\n`,
      "prepended.bin": Buffer.concat([Buffer.alloc(1), pss]),
      "truncated.bin": pss.subarray(0, 255),
      "empty.sig": "",
      "3072.sig": b64(sign(c, data)),
    });
    for (const ok of ["pss.sig", "pss.bin", "pkcs1.bin"]) {
      const r = cli(["verify", "d.bin", "--pubkey", a.pub, "--sig", ok], dir);
      expect(r.status, ok).toBe(0);
      expect(r.stdout.toString()).toBe("verified\n");
    }
    const refusals: [string, RegExp][] = [
      ["zeros.bin", /signature is 260 bytes; this key's signatures are 256/],
      ["junk.bin", /signature is 260 bytes; this key's signatures are 256/],
      ["deadbeef.bin", /signature is 260 bytes; this key's signatures are 256/],
      ["deadbeef.sig", /signature is 260 bytes; this key's signatures are 256/],
      ["junk.sig", /signature is 349 bytes; this key's signatures are 256/], // 344 + "JUNK\n": not canonical base64, read raw
      ["prepended.bin", /signature is 257 bytes; this key's signatures are 256/],
      ["truncated.bin", /signature is 255 bytes; this key's signatures are 256/],
      ["empty.sig", /signature is empty \(0 bytes\); this key's signatures are 256/],
      ["3072.sig", /signature is 384 bytes; this key's signatures are 256/],
    ];
    for (const [sig, reason] of refusals) {
      const r = cli(["verify", "d.bin", "--pubkey", a.pub, "--sig", sig], dir);
      expect(r.status, sig).toBe(1);
      expect(r.stderr, sig).toMatch(notVerified(reason));
      expect(r.stdout.toString()).toBe("");
    }
    const other = cli(["verify", "d.bin", "--pubkey", b.pub, "--sig", "pss.sig"], dir);
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(notVerified(/the signature does not match: the data changed, or another key signed it/));
  });

  it("a missing --sig file is a usage error naming it; several keys for one file signature too", () => {
    const dir = work({ "d.bin": "data" });
    const r = cli(["verify", "d.bin", "--pubkey", a.pub, "--sig", "nosuch.sig"], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("opensslwrap: --sig nosuch.sig: no such file (--sig takes a file: base64 text, or the raw signature)\n");
    fs.writeFileSync(path.join(dir, "two.pem"), Buffer.concat([a.pubPem, b.pubPem]));
    fs.writeFileSync(path.join(dir, "d.sig"), sign(a, Buffer.from("data")));
    const two = cli(["verify", "d.bin", "--pubkey", "two.pem", "--sig", "d.sig"], dir);
    expect(two.status).toBe(2);
    expect(two.stderr).toMatch(/--pubkey names 2 keys: a file's signature is checked against one/);
  });
});

describe("sign --out", () => {
  it("refuses an existing SIGFILE unless --force, and writes through a temp name (0644)", () => {
    const dir = work({ "d.bin": "some data", "d.sig": "keep me\n" });
    const r = cli(["sign", "d.bin", "--privkey", a.priv, "--out", "d.sig"], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^opensslwrap: output .*d\.sig exists; not overwriting \(use --force\)\n$/);
    expect(fs.readFileSync(path.join(dir, "d.sig"), "utf8")).toBe("keep me\n");
    expect(tree(dir)).toEqual(["d.bin", "d.sig"]);
    expect(cli(["sign", "d.bin", "--privkey", a.priv, "--out", "d.sig", "--force"], dir).status).toBe(0);
    expect(fs.statSync(path.join(dir, "d.sig")).mode & 0o777).toBe(0o644);
    expect(tree(dir)).toEqual(["d.bin", "d.sig"]);
    expect(cli(["verify", "d.bin", "--pubkey", a.pub, "--sig", "d.sig"], dir).status).toBe(0);
    const itself = cli(["sign", "d.bin", "--privkey", a.priv, "--out", "d.bin", "--force"], dir);
    expect(itself.status).toBe(2);
    expect(fs.readFileSync(path.join(dir, "d.bin"), "utf8")).toBe("some data");
  });
});

describe("a bundle's own signatures", () => {
  /** A folder with s.txt.enc: for b, signed by a. */
  function signedBundle(): string {
    const dir = work({ "s.txt": "signed data\n" });
    const r = cli(["encrypt", "s.txt", "--pubkey", b.pub, "--sign-with", a.priv], dir);
    expect(r.status, r.stderr).toBe(0);
    return dir;
  }

  it("decrypt --signer refuses, before writing anything, a bundle a given key did not sign", () => {
    const dir = signedBundle();
    const both = path.join(dir, "both.pem");
    fs.writeFileSync(both, Buffer.concat([a.pubPem, c.pubPem]));
    for (const signers of [[c.pub], [a.pub, c.pub], [both]]) {
      const r = cli(["decrypt", "s.txt.enc", "--privkey", b.priv, ...signers.flatMap((s) => ["--signer", s])], dir);
      expect(r.status, signers.join(" ")).toBe(1);
      expect(r.stderr).toBe(`opensslwrap: not signed by SHA256:${fingerprint(c.pubPem)}: the bundle has no signature by this key\n`);
      expect(tree(dir)).toEqual(["both.pem", "s.txt.enc"]);
    }
    const ok = cli(["decrypt", "s.txt.enc", "--privkey", b.priv, "--signer", a.pub], dir);
    expect(ok.status, ok.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, "s.txt"), "utf8")).toBe("signed data\n");
  });

  it("a bundle whose signature was altered decrypts without --signer, and is refused with it", () => {
    const dir = signedBundle();
    const list = members(fs.readFileSync(path.join(dir, "s.txt.enc")));
    const sig = list.find((m) => m.name === "sig-1.pss");
    if (sig === undefined) throw new Error("no sig-1.pss");
    sig.content[10] = (sig.content[10] ?? 0) ^ 0x40;
    fs.writeFileSync(path.join(dir, "s.txt.enc"), rebuild(list));
    const r = cli(["decrypt", "s.txt.enc", "--privkey", b.priv, "--signer", a.pub], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^opensslwrap: not signed by SHA256:[0-9a-f]{64}: the signature does not match/);
    expect(cli(["decrypt", "s.txt.enc", "--privkey", b.priv], dir).status).toBe(0);
  });

  it("info lists signers by fingerprint, checks those given with --signer, exit 1 if one did not sign", () => {
    const dir = signedBundle();
    const fa = fingerprint(a.pubPem);
    const fc = fingerprint(c.pubPem);
    const plain = cli(["info", "s.txt.enc"], dir);
    expect(plain.status).toBe(0);
    const lines = plain.stdout.toString().split("\n");
    expect(lines).toContain(`recipient: SHA256:${fingerprint(b.pubPem)}`);
    expect(lines).toContain(`signer: SHA256:${fa} (signature not checked: --signer PEM checks it)`);
    const checked = cli(["info", "s.txt.enc", "--signer", a.pub], dir);
    expect(checked.status).toBe(0);
    expect(checked.stdout.toString().split("\n")).toContain(`signer: SHA256:${fa} verified`);
    const missing = cli(["info", "s.txt.enc", "--signer", a.pub, "--signer", c.pub], dir);
    expect(missing.status).toBe(1);
    const out = missing.stdout.toString().split("\n");
    expect(out).toContain(`signer: SHA256:${fa} verified`);
    expect(out).toContain(`signer: SHA256:${fc} NOT verified (the bundle has no signature by this key)`);
    expect(missing.stderr).toBe(`opensslwrap: not signed by SHA256:${fc}: the bundle has no signature by this key\n`);
    const json = cli(["info", "s.txt.enc", "--json", "--signer", a.pub], dir);
    expect((JSON.parse(json.stdout.toString()) as { signatures: unknown }).signatures).toEqual([{ fingerprint: fa, verified: true }]);
  });

  it("verify BUNDLE without --sig checks the bundle's signatures by each key", () => {
    const dir = signedBundle();
    const ok = cli(["verify", "s.txt.enc", "--pubkey", a.pub], dir);
    expect(ok.status).toBe(0);
    expect(ok.stdout.toString()).toBe(`verified: signed by SHA256:${fingerprint(a.pubPem)}\n`);
    const no = cli(["verify", "s.txt.enc", "--pubkey", a.pub, "--pubkey", c.pub], dir);
    expect(no.status).toBe(1);
    expect(no.stderr).toBe(`opensslwrap: signature NOT verified: not signed by SHA256:${fingerprint(c.pubPem)}: the bundle has no signature by this key\n`);
    const notBundle = cli(["verify", "s.txt.enc.nope", "--pubkey", a.pub], work({}));
    expect(notBundle.status).toBe(1); // no such file: an error of the file, not of the call
    fs.writeFileSync(path.join(dir, "notes.txt"), "not a bundle\n");
    const text = cli(["verify", "notes.txt", "--pubkey", a.pub], dir);
    expect(text.status).toBe(2);
    expect(text.stderr).toBe("opensslwrap: notes.txt: not an opensslwrap bundle (not a tar archive); to check a file's signature, give --sig SIGFILE\n");
  });
});
