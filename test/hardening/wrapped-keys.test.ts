/**
 * Wrapped keys (key-i.oaep): wrong length, wrapped for another key, with another padding or
 * secret, and swapped between bundles. The tag covers the header, every wrapped key and the
 * payload, so each is refused as altered (IntegrityError), before any plaintext is written.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decrypt, encryptBytes, IntegrityError, rotate } from "../../src/index.js";
import { pattern } from "../helpers/data.js";
import { hostKey, type TestKey } from "../helpers/keys.js";
import { cliDebug, errorLines, expectRefusedCli, forge, FULL, members, rebuild, refused, scratch, tree } from "./util.js";

const root = scratch("wrap");
let lab: TestKey;
let bob: TestKey;
let eve: TestKey;
const plaintext = pattern(5000, 21);
let one: Uint8Array;
let two: Uint8Array;

beforeAll(async () => {
  lab = hostKey(root.dir, "lab");
  bob = hostKey(root.dir, "bob");
  eve = hostKey(root.dir, "eve");
  // Two bundles of the same file for the same two recipients.
  one = await encryptBytes(plaintext, { publicKeys: [lab.pubPem, bob.pubPem], name: "p.csv" });
  two = await encryptBytes(plaintext, { publicKeys: [lab.pubPem, bob.pubPem], name: "p.csv" });
});
afterAll(root.done);

/** `bundle` with member `name` replaced by `content`. */
function withMember(bundle: Uint8Array, name: string, content: Uint8Array): Uint8Array {
  const list = members(bundle);
  const found = list.find((m) => m.name === name);
  if (found === undefined) throw new Error(name);
  found.content = content;
  return rebuild(list);
}
const member = (bundle: Uint8Array, name: string): Uint8Array => members(bundle).find((m) => m.name === name)?.content ?? new Uint8Array(0);

const oaep = (pub: Uint8Array, data: Uint8Array, oaepHash = "sha256") => new Uint8Array(crypto.publicEncrypt({ key: Buffer.from(pub), padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, data));

let n = 0;
/** Writes `bytes` as b.enc in a fresh folder and checks that every verb refuses it as altered. */
async function expectAltered(bytes: Uint8Array, keys: TestKey[], what: string): Promise<void> {
  const dir = path.join(root.dir, `w${n++}`);
  fs.mkdirSync(dir);
  const file = path.join(dir, "b.enc");
  fs.writeFileSync(file, bytes);
  for (const k of keys) {
    const e = await refused(decrypt(file, { privateKey: { key: k.privPem } }));
    expect(e, `${what} (${path.basename(k.priv)})`).toBeInstanceOf(IntegrityError);
    expect(e.message).toMatch(/altered or corrupted/);
    // rotate goes through the same unlock: checked for the first key (every key with HARDENING_FULL=1).
    if (FULL || k === keys[0]) expect(await refused(rotate(file, { key: k.privPem }, { publicKeys: [eve.pubPem] }))).toBeInstanceOf(IntegrityError);
  }
  expect(tree(dir), what).toEqual(["b.enc"]);
  expect(Buffer.compare(fs.readFileSync(file), bytes), what).toBe(0);
}

describe("wrapped keys", () => {
  it("of the wrong length: refused for that recipient and (tag) for the other", async () => {
    const good = member(one, "key-1.oaep");
    expect(good.length).toBe(256);
    for (const len of [0, 1, 255, 257, 512, 2048]) {
      const content = len <= 256 ? good.subarray(0, len) : new Uint8Array(len).fill(7);
      await expectAltered(withMember(one, "key-1.oaep", content), len === 0 ? [lab] : [lab, bob], `length ${len}`);
    }
  });

  it("wrapped for another key, with SHA-1 OAEP, with PKCS#1 v1.5, or holding another secret", async () => {
    const secret = crypto.randomBytes(64);
    const cases: [string, Uint8Array][] = [
      ["for eve's key", oaep(eve.pubPem, secret)],
      ["OAEP with SHA-1", oaep(lab.pubPem, secret, "sha1")],
      ["PKCS#1 v1.5", new Uint8Array(crypto.publicEncrypt({ key: lab.pubPem, padding: crypto.constants.RSA_PKCS1_PADDING }, secret))],
      ["another 64-byte secret", oaep(lab.pubPem, secret)],
      ["a 32-byte secret", oaep(lab.pubPem, secret.subarray(0, 32))],
      ["a 0-byte secret", oaep(lab.pubPem, new Uint8Array(0))],
      ["random bytes", new Uint8Array(crypto.randomBytes(256))],
      ["zeros", new Uint8Array(256)],
    ];
    for (const [what, content] of cases) await expectAltered(withMember(one, "key-1.oaep", content), [lab, bob], what);
  });

  it("swapped between two bundles for the same recipients: refused (the tag covers every wrapped key)", async () => {
    await expectAltered(withMember(one, "key-1.oaep", member(two, "key-1.oaep")), [lab, bob], "key-1 from another bundle");
    await expectAltered(withMember(one, "key-2.oaep", member(two, "key-2.oaep")), [lab, bob], "key-2 from another bundle");
    const both = withMember(withMember(one, "key-1.oaep", member(two, "key-1.oaep")), "key-2.oaep", member(two, "key-2.oaep"));
    await expectAltered(both, [lab, bob], "both wrapped keys from another bundle");
    // The payloads differ (fresh secret and IV each time): swapping the payload is refused as well.
    await expectAltered(withMember(one, "payload.bin", member(two, "payload.bin")), [lab, bob], "payload from another bundle");
    await expectAltered(withMember(one, "tag.hmac", member(two, "tag.hmac")), [lab, bob], "tag from another bundle");
  });

  it("swapped within a bundle (key-1 <-> key-2): refused", async () => {
    const swapped = withMember(withMember(one, "key-1.oaep", member(one, "key-2.oaep")), "key-2.oaep", member(one, "key-1.oaep"));
    await expectAltered(swapped, [lab, bob], "key-1 and key-2 swapped");
  });

  it("a forger who knows the secret can rewrap it, but not without the tag changing: refused", async () => {
    // The sender (or any recipient) knows the secret: wrapping it again for the same key gives a
    // valid key-1.oaep with other bytes, which the tag (made over the original bytes) refuses.
    const f = forge({ plaintext, recipients: [lab.pubPem, bob.pubPem] });
    await expectAltered(withMember(f.bundle, "key-1.oaep", oaep(lab.pubPem, f.secret)), [lab, bob], "rewrapped secret");
  });

  it("through the CLI: one line, exit 1, nothing written", () => {
    const dir = path.join(root.dir, "cli");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "swap.enc"), withMember(one, "key-1.oaep", member(two, "key-1.oaep")));
    fs.writeFileSync(path.join(dir, "short.enc"), withMember(one, "key-1.oaep", member(one, "key-1.oaep").subarray(0, 200)));
    for (const b of ["swap.enc", "short.enc"]) {
      expectRefusedCli(cliDebug(["decrypt", b, "--privkey", lab.priv], dir), /altered or corrupted/, b);
      const asJson = cliDebug(["decrypt", b, "--privkey", lab.priv, "--json", "--out", "o.bin"], dir);
      expect(errorLines(asJson.stderr), b).toEqual([expect.stringMatching(/^opensslwrap: .*altered or corrupted/)]);
      // --json: the failure is this bundle's JSON object too.
      expect(JSON.parse(asJson.stdout.toString()), b).toEqual({ path: b, ok: false, error: { class: "IntegrityError", message: expect.stringMatching(/altered or corrupted/) }, warnings: [] });
      expectRefusedCli(cliDebug(["rotate", b, "--privkey", lab.priv, "--pubkey", eve.pub], dir), /altered or corrupted/, b);
    }
    expect(tree(dir)).toEqual(["short.enc", "swap.enc"]);
  });
});
