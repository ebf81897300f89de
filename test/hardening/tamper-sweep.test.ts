/**
 * Tampering sweep over a bundle with two recipients and a signature: one bit flipped at byte
 * positions of every class (each member's tar header, content and padding; ciphertext start,
 * middle and end; tag; meta-data; signature; the end blocks) and truncation at many offsets.
 * Every case is refused through the library's `decrypt` before any plaintext byte is written: the
 * output path never exists and no file at all appears in the folder (watched with fs.watch).
 *
 * The exception, by design of the format: `sig-1.pss` is not covered by the tag (the tag covers
 * header, wrapped keys and payload; the signature is made over the same bytes and stored after).
 * decrypt without `signers` does not check signatures, so a bundle whose only change is in
 * sig-1.pss decrypts to the right plaintext; `info` lists the signer, marked "signature not
 * checked". A check with the signer's public key (`signers`, `--signer`, or by hand with openssl
 * as docs/FORMAT.md shows) notices the change.
 *
 * Default: every position of the tar structure (headers, padding, end blocks) and of meta.json,
 * and a sample of the positions whose check needs the private key (header.txt, wrapped keys,
 * payload, tag, signature). HARDENING_FULL=1: every position.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decrypt, encryptBytes, OpensslwrapError, readMeta, SignatureError } from "../../src/index.js";
import { pattern } from "../helpers/data.js";
import { hostKey, type TestKey } from "../helpers/keys.js";
import { BLOCK, cliDebug, expectRefusedCli, FULL, members, refused, scratch, tree, type Member } from "./util.js";

const root = scratch("sweep");
let lab: TestKey;
let bob: TestKey;
let valid: Uint8Array;
let list: Member[];
const plaintext = pattern(700, 31);

beforeAll(async () => {
  lab = hostKey(root.dir, "lab");
  bob = hostKey(root.dir, "bob");
  valid = await encryptBytes(plaintext, { publicKeys: [lab.pubPem, bob.pubPem], signWith: { key: lab.privPem }, name: "s.csv" });
  list = members(valid);
});
afterAll(root.done);

interface Region {
  name: string;
  start: number;
  end: number;
  /** The check needs the private key (a full unlock per case): sampled by default. */
  costly: boolean;
}

/** Every byte of the bundle, by class. */
function regions(): Region[] {
  const out: Region[] = [];
  for (const m of list) {
    out.push({ name: `${m.name} tar header`, start: m.header, end: m.offset, costly: false });
    const costly = m.name !== "meta.json";
    const size = m.content.length;
    if (m.name === "payload.bin") {
      const third = Math.floor(size / 3);
      out.push({ name: "payload start", start: m.offset, end: m.offset + third, costly });
      out.push({ name: "payload middle", start: m.offset + third, end: m.offset + 2 * third, costly });
      out.push({ name: "payload end", start: m.offset + 2 * third, end: m.offset + size, costly });
    } else out.push({ name: `${m.name} content`, start: m.offset, end: m.offset + size, costly });
    const padEnd = m.offset + Math.ceil(size / BLOCK) * BLOCK;
    if (padEnd > m.offset + size) out.push({ name: `${m.name} padding`, start: m.offset + size, end: padEnd, costly: false });
  }
  const last = list[list.length - 1];
  const endStart = last === undefined ? 0 : last.offset + Math.ceil(last.content.length / BLOCK) * BLOCK;
  out.push({ name: "end blocks", start: endStart, end: valid.length, costly: false });
  return out;
}

/** Positions to try in a region: all, or for costly regions by default both ends, the middle and a few more. */
function positions(r: Region): number[] {
  const all = Array.from({ length: r.end - r.start }, (_, i) => r.start + i);
  if (FULL || !r.costly || all.length <= 16) return all;
  const pick = new Set<number>();
  for (let i = 0; i < 3; i++) pick.add(all[i] ?? r.start).add(all[all.length - 1 - i] ?? r.start).add(all[Math.floor(all.length / 2) + i] ?? r.start);
  for (let i = 1; i <= 4; i++) pick.add(all[Math.floor((i * all.length) / 5) + 1] ?? r.start);
  return [...pick].sort((a, b) => a - b);
}

const flip = (at: number): Uint8Array => {
  const c = valid.slice();
  c[at] = (c[at] ?? 0) ^ (1 << (at % 8));
  return c;
};

describe("tampering sweep", () => {
  it("the bundle has the expected members, and decrypts untouched (control)", async () => {
    expect(list.map((m) => m.name)).toEqual(["header.txt", "key-1.oaep", "key-2.oaep", "payload.bin", "meta.json", "tag.hmac", "sig-1.pss"]);
    const dir = path.join(root.dir, "control");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "b.enc"), valid);
    const r = await decrypt(path.join(dir, "b.enc"), { privateKey: { key: bob.privPem }, out: path.join(dir, "out") });
    expect(Buffer.compare(fs.readFileSync(r.output), plaintext)).toBe(0);
  });

  it("one bit flipped anywhere but in sig-1.pss: refused, nothing written", async () => {
    const dir = path.join(root.dir, "flips");
    fs.mkdirSync(dir);
    const file = path.join(dir, "b.enc");
    const out = path.join(dir, "out.csv");
    const events = new Set<string>();
    const watcher = fs.watch(dir, (_event, name) => events.add(String(name)));
    const problems: string[] = [];
    const tally = new Map<string, number>();
    let tried = 0;
    try {
      for (const r of regions().filter((x) => !x.name.startsWith("sig-1.pss content"))) {
        for (const at of positions(r)) {
          tried++;
          fs.writeFileSync(file, flip(at));
          // Recipient 2 for odd positions: both recipients' paths are exercised.
          const key = at % 2 === 0 ? lab : bob;
          try {
            await decrypt(file, { privateKey: { key: key.privPem }, out });
            problems.push(`${r.name} @${at}: decrypted`);
          } catch (e) {
            if (!(e instanceof OpensslwrapError)) problems.push(`${r.name} @${at}: untyped ${String(e)}`);
            else tally.set(`${r.name}: ${e.name}`, (tally.get(`${r.name}: ${e.name}`) ?? 0) + 1);
          }
          if (fs.existsSync(out)) problems.push(`${r.name} @${at}: output exists`);
          const names = fs.readdirSync(dir);
          if (names.length !== 1) problems.push(`${r.name} @${at}: folder holds ${names.join(", ")}`);
        }
      }
      await new Promise((r) => setTimeout(r, 50)); // let the last fs.watch events arrive
    } finally {
      watcher.close();
    }
    expect(problems).toEqual([]);
    // The folder never saw any name but the bundle's: no temp file, no output, not even briefly.
    expect([...events]).toEqual(["b.enc"]);
    expect(tried).toBeGreaterThan(FULL ? valid.length - 300 : 5000);
    if (process.env["HARDENING_VERBOSE"] === "1") console.log(tried, Object.fromEntries(tally));
  }, 600_000);

  it("a bit flipped in sig-1.pss only: decrypt still succeeds (the tag does not cover signatures)", async () => {
    const sig = list.find((m) => m.name === "sig-1.pss");
    if (sig === undefined) throw new Error("no signature");
    const dir = path.join(root.dir, "sig");
    fs.mkdirSync(dir);
    const file = path.join(dir, "b.enc");
    const out = path.join(dir, "out.csv");
    const region: Region = { name: "sig", start: sig.offset, end: sig.offset + sig.content.length, costly: true };
    for (const at of positions(region).slice(0, FULL ? undefined : 6)) {
      fs.writeFileSync(file, flip(at));
      const r = await decrypt(file, { privateKey: { key: lab.privPem }, out });
      expect(Buffer.compare(fs.readFileSync(r.output), plaintext), `@${at}`).toBe(0);
      fs.rmSync(out);
      // info lists the signer and says nothing about validity: it has no key to check with.
      const info = await readMeta(file);
      expect(info.format === 2 && info.signers.length).toBe(1);
      // Given the signer's key, decrypt refuses it, writing nothing.
      expect(await refused(decrypt(file, { privateKey: { key: lab.privPem }, out, signers: [lab.pubPem] })), `@${at}`).toBeInstanceOf(SignatureError);
      expect(fs.readdirSync(dir), `@${at}`).toEqual(["b.enc"]);
    }
    // The signature itself is broken, as a check by hand with the signer's public key shows.
    const signed = Buffer.concat(["header.txt", "key-1.oaep", "key-2.oaep", "payload.bin"].map((n) => list.find((m) => m.name === n)?.content ?? new Uint8Array(0)));
    fs.writeFileSync(path.join(dir, "signed.bin"), signed);
    const verify = (s: Uint8Array) => {
      fs.writeFileSync(path.join(dir, "s.pss"), s);
      try {
        execFileSync("openssl", ["dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest", "-verify", lab.pub, "-signature", "s.pss", "signed.bin"], { cwd: dir, stdio: "pipe" });
        return true;
      } catch {
        return false;
      }
    };
    expect(verify(sig.content)).toBe(true);
    // The CLI's info says that it did not check the signature.
    const shown = cliDebug(["info", "b.enc"], dir);
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout.toString()).toMatch(/^signer: SHA256:[0-9a-f]{64} \(signature not checked: --signer PEM checks it\)$/m);
    const bad = sig.content.slice();
    bad[100] = (bad[100] ?? 0) ^ 0x10;
    expect(verify(bad)).toBe(false);
  });

  it("truncated at every block boundary, around every member boundary and at 100 other offsets: refused", async () => {
    const dir = path.join(root.dir, "cut");
    fs.mkdirSync(dir);
    const file = path.join(dir, "b.enc");
    const out = path.join(dir, "out.csv");
    const cuts = new Set<number>();
    for (let at = 0; at < valid.length; at += BLOCK) for (const d of [-1, 0, 1]) if (at + d >= 0 && at + d < valid.length) cuts.add(at + d);
    for (const m of list) for (const at of [m.offset + m.content.length - 1, m.offset + m.content.length, m.offset + 1]) cuts.add(at);
    for (let i = 0; i < 100; i++) cuts.add(Math.floor((i * 104729) % valid.length));
    if (FULL) for (let at = 0; at < valid.length; at++) cuts.add(at);
    const problems: string[] = [];
    for (const at of cuts) {
      fs.writeFileSync(file, valid.subarray(0, at));
      try {
        await decrypt(file, { privateKey: { key: lab.privPem }, out });
        problems.push(`cut at ${at}: decrypted`);
      } catch (e) {
        if (!(e instanceof OpensslwrapError)) problems.push(`cut at ${at}: untyped ${String(e)}`);
      }
      if (fs.readdirSync(dir).length !== 1) problems.push(`cut at ${at}: something was written`);
    }
    expect(problems).toEqual([]);
  }, 600_000);

  it("through the CLI (a sample of every class): exit 1, one line, no output; sig-only changes decrypt", () => {
    const dir = path.join(root.dir, "cli");
    fs.mkdirSync(dir);
    const sample = regions().map((r) => ({ r, at: r.start + Math.floor((r.end - r.start) / 2) }));
    for (const { r, at } of FULL ? sample : sample.filter((_, i) => i % 2 === 0 || /sig-1.pss content|payload|tag.hmac content|end/.test(sample[i]?.r.name ?? ""))) {
      fs.writeFileSync(path.join(dir, "b.enc"), flip(at));
      const res = cliDebug(["decrypt", "b.enc", "--privkey", lab.priv, "--out", "out.csv"], dir);
      if (r.name === "sig-1.pss content") {
        expect(res.status, res.stderr).toBe(0);
        expect(Buffer.compare(fs.readFileSync(path.join(dir, "out.csv")), plaintext)).toBe(0);
        fs.rmSync(path.join(dir, "out.csv"));
      } else expectRefusedCli(res, undefined, `${r.name} @${at}`);
      expect(tree(dir), r.name).toEqual(["b.enc"]);
    }
    fs.writeFileSync(path.join(dir, "b.enc"), valid.subarray(0, valid.length - 700));
    expectRefusedCli(cliDebug(["decrypt", "b.enc", "--privkey", lab.priv], dir), /truncated/);
    expect(tree(dir)).toEqual(["b.enc"]);
  }, 240_000);
});
