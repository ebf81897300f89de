import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decrypt } from "../src/index.js";
import { cli } from "./helpers/cli.js";
import { pattern } from "./helpers/data.js";
import { hostKey, type TestKey } from "./helpers/keys.js";
import { makeReferenceBundle } from "./helpers/v2-reference.js";

/** The format has two implementations: opensslwrap, and stock openssl + tar (the spec's recipe). */

const SCRIPT = fileURLToPath(new URL("../scripts/decrypt-with-openssl.sh", import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-interop-bundle-"));
let a: TestKey;
let b: TestKey;
beforeAll(() => {
  a = hostKey(tmp, "a");
  b = hostKey(tmp, "b", 2048, "b pass");
  fs.writeFileSync(path.join(tmp, "b.pass"), "b pass");
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("bundles from the CLI open with stock openssl and tar", () => {
  for (const size of [0, 1, 16, 1_000_003]) {
    it(`${size} bytes, two recipients and a signature, via scripts/decrypt-with-openssl.sh`, () => {
      const dir = fs.mkdtempSync(path.join(tmp, "cli-"));
      const data = pattern(size, size + 11);
      fs.writeFileSync(path.join(dir, "data.bin"), data);
      const enc = cli(["encrypt", "data.bin", "--pubkey", a.pub, "--pubkey", b.pub, "--sign-with", a.priv], dir);
      expect(enc.status, enc.stderr).toBe(0);
      const r1 = spawnSync("sh", [SCRIPT, "data.bin.enc", a.priv, "out-a.bin"], { cwd: dir });
      expect(r1.status, r1.stderr.toString()).toBe(0);
      const r2 = spawnSync("sh", [SCRIPT, "data.bin.enc", b.priv, "out-b.bin", path.join(tmp, "b.pass")], { cwd: dir });
      expect(r2.status, r2.stderr.toString()).toBe(0);
      for (const out of ["out-a.bin", "out-b.bin"]) expect(Buffer.compare(fs.readFileSync(path.join(dir, out)), data)).toBe(0);
    });
  }

  it("a rotated bundle too", () => {
    const dir = fs.mkdtempSync(path.join(tmp, "rot-"));
    fs.writeFileSync(path.join(dir, "r.txt"), "rotated data\n");
    expect(cli(["encrypt", "r.txt", "--pubkey", a.pub], dir).status).toBe(0);
    expect(cli(["rotate", "r.txt.enc", "--privkey", a.priv, "--pubkey", b.pub], dir).status).toBe(0);
    const r = spawnSync("sh", [SCRIPT, "r.txt.enc", b.priv, "out.txt", path.join(tmp, "b.pass")], { cwd: dir });
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(fs.readFileSync(path.join(dir, "out.txt"), "utf8")).toBe("rotated data\n");
  });
});

describe("bundles made with stock openssl and tar open in opensslwrap", () => {
  it("decrypts the reference implementation's bundle", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "ref-"));
    const data = Buffer.from(pattern(300_000, 5));
    makeReferenceBundle({ plaintext: data, recipients: [a.pub, b.pub], dir, out: path.join(tmp, "ref.enc") });
    const r = await decrypt(path.join(tmp, "ref.enc"), { privateKey: { key: b.privPem, passphrase: "b pass" }, out: path.join(tmp, "ref.out") });
    expect(Buffer.compare(fs.readFileSync(r.output), data)).toBe(0);
  });
});
