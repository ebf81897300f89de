import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FormatError, generateKeyPair, generateKeys, PassphraseError, PublicKeyError, readMeta, readPublicKeys } from "../src/index.js";
import { cli, folders } from "./helpers/cli.js";
import { hostKey, type TestKey } from "./helpers/keys.js";
import { typedOnTerminal } from "./helpers/terminal.js";
import { fingerprint, refused, tree } from "./hardening/util.js";

/**
 * Keys: `genkeys` asking twice on a terminal and refusing empty passphrases without leaving a
 * folder; `fingerprint`; recipients files and folders for `--pubkey`; and "not an opensslwrap
 * bundle" for files that are not one.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-cli-keys-"));
let a: TestKey;
let b: TestKey;
let p: TestKey; // protected: "p secret"
beforeAll(() => {
  a = hostKey(tmp, "a");
  b = hostKey(tmp, "b");
  p = hostKey(tmp, "p", 2048, "p secret");
  fs.writeFileSync(path.join(tmp, "p.pass"), "p secret\n");
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const work = folders(tmp);

const GENKEYS = ["genkeys", "--out-dir", "keys/lab", "--name", "lab", "--bits", "2048"];
const PROMPT = "passphrase for the new private key: ";
const AGAIN = "the same passphrase again: ";

describe("genkeys on a terminal", () => {
  it("asks twice, never echoes, and protects the key with the passphrase", async () => {
    const dir = work();
    const secret = "correct horse battery";
    const r = await typedOnTerminal(GENKEYS, dir, [secret, secret]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain(PROMPT);
    expect(r.output).toContain(AGAIN);
    expect(r.output).not.toContain("horse");
    expect(r.output).not.toContain("warning");
    execFileSync("openssl", ["pkey", "-in", path.join(dir, "keys/lab/lab.priv.pem"), "-passin", `pass:${secret}`, "-noout"]);
  });

  it("refuses two passphrases that differ, and an empty one (asked once), leaving no folder", async () => {
    const dir = work();
    const differ = await typedOnTerminal(GENKEYS, dir, ["first passphrase", "second passphrase"]);
    expect(differ.status).toBe(1);
    expect(differ.output).toMatch(/opensslwrap: the two passphrases typed differ: nothing written\r\n$/);
    const empty = await typedOnTerminal(GENKEYS, dir, ["", "never asked"]);
    expect(empty.status).toBe(1);
    expect(empty.output).not.toContain(AGAIN);
    expect(empty.output).toMatch(/opensslwrap: empty passphrase: give one, or --no-passphrase for an unprotected private key\r\n$/);
    expect(tree(dir)).toEqual([]);
  });

  it("warns about a passphrase under 12 characters, and makes the key", async () => {
    const dir = work();
    const r = await typedOnTerminal(GENKEYS, dir, ["short", "short"]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain("opensslwrap: warning: the passphrase has 5 characters; 12 or more are recommended for a key meant to last years");
    expect(tree(dir)).toEqual(["keys", "keys/lab", "keys/lab/lab.priv.pem", "keys/lab/lab.pub.pem"]);
  });
});

describe("genkeys without a terminal", () => {
  it("refuses an empty passphrase from a file or the environment with one line and nothing written", () => {
    const dir = work({ "empty.pass": "\n" });
    const fromFile = cli([...GENKEYS, "--passphrase-file", "empty.pass"], dir);
    expect(fromFile.status).toBe(1);
    expect(fromFile.stderr).toBe("opensslwrap: empty passphrase: give one, or --no-passphrase for an unprotected private key\n");
    const fromEnv = cli(GENKEYS, dir, undefined, { ...process.env, OPENSSLWRAP_PASSPHRASE: "" });
    expect(fromEnv.status).toBe(1);
    expect(fromEnv.stderr).toBe(fromFile.stderr);
    expect(tree(dir)).toEqual(["empty.pass"]);
    expect(cli(GENKEYS, dir, undefined, { ...process.env, OPENSSLWRAP_PASSPHRASE: undefined }).status).toBe(2);
    const none = cli([...GENKEYS, "--no-passphrase"], dir);
    expect(none.status, none.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, "keys/lab/lab.priv.pem"), "utf8")).toContain("-----BEGIN PRIVATE KEY-----");
  });

  it("library: an empty passphrase is a PassphraseError and leaves no folder; a short one is told to onWarning", async () => {
    const dir = work();
    const e = await refused(generateKeys({ outDir: path.join(dir, "a", "b"), bits: 2048, passphrase: "" }));
    expect(e).toBeInstanceOf(PassphraseError);
    expect(await refused(generateKeyPair({ bits: 2048, passphrase: new Uint8Array(0) }))).toBeInstanceOf(PassphraseError);
    expect(tree(dir)).toEqual([]);
    const warnings: string[] = [];
    // Eleven characters, one of them two bytes in UTF-8: characters are counted, not bytes.
    await generateKeyPair({ bits: 2048, passphrase: new TextEncoder().encode("ten chars é"), onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual(["the passphrase has 11 characters; 12 or more are recommended for a key meant to last years"]);
  });
});

describe("fingerprint", () => {
  it("prints SHA256:<hex>  KEY for public keys, files of several, folders and private keys, as FORMAT.md computes it", () => {
    const dir = work({ "two.pem": Buffer.concat([Buffer.from("# the lab's key holders\n"), a.pubPem, Buffer.from("\n"), b.pubPem]) });
    fs.mkdirSync(path.join(dir, "keys"));
    fs.copyFileSync(a.pub, path.join(dir, "keys", "a.pub.pem"));
    fs.copyFileSync(b.pub, path.join(dir, "keys", "b.pub.pem"));
    fs.writeFileSync(path.join(dir, "keys", "notes.txt"), "not a key");
    const der = execFileSync("openssl", ["pkey", "-pubin", "-in", a.pub, "-outform", "DER"]);
    const spec = execFileSync("openssl", ["dgst", "-sha256", "-r"], { input: der }).toString().slice(0, 64);
    expect(spec).toBe(fingerprint(a.pubPem));
    const r = cli(["fingerprint", a.pub, "two.pem", "keys", p.priv, "--passphrase-file", path.join(tmp, "p.pass")], dir);
    expect(r.status, r.stderr).toBe(0);
    const [fa, fb, fp] = [a.pubPem, b.pubPem, p.pubPem].map((k) => `SHA256:${fingerprint(k)}`);
    expect(r.stdout.toString()).toBe(
      [`${fa}  ${a.pub}`, `${fa}  two.pem`, `${fb}  two.pem`, `${fa}  ${path.join("keys", "a.pub.pem")}`, `${fb}  ${path.join("keys", "b.pub.pem")}`, `${fp}  ${p.priv}`, ""].join("\n"),
    );
  });

  it("names a key it cannot read and goes on (exit 1); a missing file is a usage error", () => {
    const dir = work({ "bad.pem": "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n" });
    const r = cli(["fingerprint", "bad.pem", a.pub], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("opensslwrap: bad.pem: not a public key (expected a PEM 'PUBLIC KEY')\n");
    expect(r.stdout.toString()).toBe(`SHA256:${fingerprint(a.pubPem)}  ${a.pub}\n`);
    expect(cli(["fingerprint", "nosuch.pem"], dir).status).toBe(2);
    const wrong = cli(["fingerprint", p.priv], dir, undefined, { ...process.env, OPENSSLWRAP_PASSPHRASE: "wrong" });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/wrong passphrase/);
  });
});

describe("recipients files and folders", () => {
  it("--pubkey takes a file of several PEM keys and a folder of *.pub.pem; info shows SHA256: fingerprints; a key given twice is one recipient", () => {
    const dir = work({ "d.csv": "id,rt\n", "lab.pem": Buffer.concat([a.pubPem, b.pubPem]) });
    fs.mkdirSync(path.join(dir, "holders"));
    fs.copyFileSync(p.pub, path.join(dir, "holders", "p.pub.pem"));
    fs.copyFileSync(a.pub, path.join(dir, "holders", "a.pub.pem"));
    const r = cli(["encrypt", "d.csv", "--pubkey", "lab.pem", "--pubkey", "holders", "--keep"], dir);
    expect(r.status, r.stderr).toBe(0);
    const info = cli(["info", "d.csv.enc"], dir).stdout.toString().split("\n");
    expect(info.filter((l) => l.startsWith("recipient: "))).toEqual([a, b, p].map((k) => `recipient: SHA256:${fingerprint(k.pubPem)}`));
    for (const [key, extra] of [[b.priv, []], [p.priv, ["--passphrase-file", path.join(tmp, "p.pass")]]] as const) {
      const out = `out-${path.basename(key)}`;
      expect(cli(["decrypt", "d.csv.enc", "--privkey", key, "--out", out, ...extra], dir).status).toBe(0);
      expect(fs.readFileSync(path.join(dir, out), "utf8")).toBe("id,rt\n");
    }
    const rot = cli(["rotate", "d.csv.enc", "--privkey", a.priv, "--pubkey", "lab.pem"], dir);
    expect(rot.status, rot.stderr).toBe(0);
    expect(cli(["info", "d.csv.enc"], dir).stdout.toString().match(/^recipient: /gm)).toHaveLength(2);
  });

  it("refuses a folder without *.pub.pem (exit 2) and a recipients file with a broken key (exit 1), writing nothing", () => {
    const dir = work({ "d.csv": "x", "broken.pem": Buffer.concat([a.pubPem, b.pubPem.subarray(0, 200)]) });
    fs.mkdirSync(path.join(dir, "empty"));
    const folder = cli(["encrypt", "d.csv", "--pubkey", "empty"], dir);
    expect(folder.status).toBe(2);
    expect(folder.stderr).toBe("opensslwrap: no *.pub.pem file in folder empty\n");
    const broken = cli(["encrypt", "d.csv", "--pubkey", "broken.pem"], dir);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/^opensslwrap: not a public key/);
    expect(tree(dir)).toEqual(["broken.pem", "d.csv", "empty"]);
  });

  it("library: readPublicKeys reads every key of a file, and refuses an incomplete one rather than dropping it", async () => {
    const keys = await readPublicKeys(Buffer.concat([Buffer.from("holders:\n"), a.pubPem, Buffer.from("# b\n"), b.pubPem]));
    expect(keys.map((k) => k.fingerprint)).toEqual([fingerprint(a.pubPem), fingerprint(b.pubPem)]);
    expect((await readPublicKeys(a.pubPem)).map((k) => k.bits)).toEqual([2048]);
    const der = execFileSync("openssl", ["pkey", "-pubin", "-in", a.pub, "-outform", "DER"]);
    expect((await readPublicKeys(der)).map((k) => k.fingerprint)).toEqual([fingerprint(a.pubPem)]);
    expect(await refused(readPublicKeys(Buffer.concat([a.pubPem, b.pubPem.subarray(0, 100)])))).toBeInstanceOf(PublicKeyError);
  });
});

describe("files that are not bundles", () => {
  it('info and decrypt say "not an opensslwrap bundle" (one line, exit 1); legacy bundles are still recognised', async () => {
    const dir = work({ "notes.txt": "just some text\n".repeat(100), "short.txt": "hi\n", "empty.enc": "" });
    fs.copyFileSync(new URL("./vectors/legacy-2012-rotated.enc", import.meta.url), path.join(dir, "legacy.enc"));
    for (const [file, why] of [
      ["notes.txt", "not a tar archive"],
      ["short.txt", "not a tar archive"],
      ["empty.enc", "empty file"],
    ] as const) {
      for (const args of [["info", file], ["decrypt", file, "--privkey", a.priv, "--out", "o"]]) {
        const r = cli(args, dir);
        expect(r.status, args.join(" ")).toBe(1);
        expect(r.stderr).toBe(`opensslwrap: not an opensslwrap bundle (${why})\n`);
      }
      expect(await refused(readMeta(path.join(dir, file)))).toBeInstanceOf(FormatError);
    }
    expect(cli(["info", "legacy.enc"], dir).stdout.toString()).toMatch(/^format: .*legacy/);
    expect(tree(dir)).toEqual(["empty.enc", "legacy.enc", "notes.txt", "short.txt"]);
  });
});
