/**
 * Hostile archives: links, devices, paths, duplicates, missing and extra members, absurd sizes,
 * truncation, gzip bombs, things that are not archives at all. Each is refused by `decrypt` and
 * `info` (library: a typed error; CLI: exit 1 and one line), and nothing is written anywhere: not
 * in the work folder, not in its parent, not where a member's path points.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decrypt, decryptBytes, encryptBytes, FormatError, readMeta } from "../../src/index.js";
import { CLI } from "../helpers/cli.js";
import { pattern } from "../helpers/data.js";
import { hostKey, type TestKey } from "../helpers/keys.js";
import { BLOCK, cliDebug, FULL, concat, END, errorLines, expectRefusedCli, marker, members, paxMember, rebuild, refused, scratch, tarHeader, tarMember, tree, ustar, type Member } from "./util.js";

const root = scratch("tar");
let lab: TestKey;
let valid: Uint8Array;
let list: Member[];
const plaintext = pattern(3000, 7);

beforeAll(async () => {
  fs.mkdirSync(path.join(root.dir, "keys"));
  lab = hostKey(path.join(root.dir, "keys"), "lab");
  valid = await encryptBytes(plaintext, { publicKeys: [lab.pubPem], name: "data.csv" });
  list = members(valid);
});
afterAll(root.done);

const m = (name: string): Member => {
  const found = list.find((x) => x.name === name);
  if (found === undefined) throw new Error(`no member ${name}`);
  return found;
};
const without = (name: string) => list.filter((x) => x.name !== name);
const spec = (x: Member) => ({ name: x.name, content: x.content });
/** The bundle's members with `name` replaced by `replacement` (one or more raw members). */
const replacing = (name: string, ...replacement: Uint8Array[]) => ustar(list.flatMap((x) => (x.name === name ? replacement : [tarMember(spec(x))])));

// Names that must never reach the disk (checked after every case).
const UP = marker("up");
const ABS = path.join(os.tmpdir(), marker("abs"));
const LINK = marker("link");
const DIR = marker("dir");

interface Case {
  what: string;
  bytes: () => Uint8Array;
  /** info may succeed when the damage is one that only the private key can see. */
  infoMayPass?: boolean;
  /** Also run through the CLI by default (every case does with HARDENING_FULL=1). */
  cli?: boolean;
}

const cases: Case[] = [
  { what: "../ in an extra member's name", cli: true, bytes: () => ustar([...list.map(spec), { name: `../${UP}`, content: new TextEncoder().encode("escaped\n") }]) },
  { what: "../ as the payload's name", bytes: () => replacing("payload.bin", tarMember({ name: "../payload.bin", content: m("payload.bin").content })) },
  { what: "absolute path member", cli: true, bytes: () => ustar([...list.map(spec), { name: ABS, content: new TextEncoder().encode("escaped\n") }]) },
  { what: "ustar prefix ../../ before payload.bin", cli: true, bytes: () => replacing("payload.bin", tarMember({ name: "payload.bin", prefix: `../../${UP}`, content: m("payload.bin").content })) },
  { what: "symlink instead of the payload", cli: true, bytes: () => replacing("payload.bin", tarMember({ name: "payload.bin", type: "2", linkname: "/etc/passwd" })) },
  { what: "extra symlink to /tmp", bytes: () => ustar([...list.map(spec), { name: LINK, type: "2", linkname: os.tmpdir() }]) },
  { what: "hard link instead of the tag", cli: true, bytes: () => replacing("tag.hmac", tarMember({ name: "tag.hmac", type: "1", linkname: "header.txt" })) },
  { what: "character device", bytes: () => replacing("payload.bin", tarMember({ name: "payload.bin", type: "3" })) },
  { what: "block device", bytes: () => replacing("payload.bin", tarMember({ name: "payload.bin", type: "4" })) },
  { what: "fifo", cli: true, bytes: () => replacing("payload.bin", tarMember({ name: "payload.bin", type: "6" })) },
  { what: "directory member", cli: true, bytes: () => ustar([tarMember({ name: `${DIR}/`, type: "5" }), ...list.map((x) => tarMember(spec(x)))]) },
  { what: "contiguous file (7)", bytes: () => replacing("payload.bin", tarMember({ name: "payload.bin", type: "7", content: m("payload.bin").content })) },
  { what: "GNU long name (L)", bytes: () => replacing("payload.bin", tarMember({ name: "././@LongLink", type: "L", content: new TextEncoder().encode(`../${UP}\0`) }), tarMember(spec(m("payload.bin")))) },
  { what: "pax global header (g)", bytes: () => ustar([tarMember({ name: "pax_global_header", type: "g", content: new TextEncoder().encode("19 path=../escape\n") }), ...list.map((x) => tarMember(spec(x)))]) },
  { what: "pax path record", bytes: () => replacing("payload.bin", paxMember("payload.bin", { path: `../${UP}` }), tarMember(spec(m("payload.bin")))) },
  { what: "duplicate wrapped key", cli: true, bytes: () => replacing("key-1.oaep", tarMember(spec(m("key-1.oaep"))), tarMember(spec(m("key-1.oaep")))) },
  { what: "duplicate payload", bytes: () => replacing("payload.bin", tarMember(spec(m("payload.bin"))), tarMember(spec(m("payload.bin")))) },
  { what: "unexpected extra member at the end", cli: true, bytes: () => ustar([...list.map(spec), { name: "README.txt", content: new TextEncoder().encode("hi\n") }]) },
  { what: "unexpected extra member after the header", bytes: () => replacing("header.txt", tarMember(spec(m("header.txt"))), tarMember({ name: "notes.txt", content: new Uint8Array(10) })) },
  { what: "members in another order", bytes: () => rebuild([m("header.txt"), m("payload.bin"), m("key-1.oaep"), m("meta.json"), m("tag.hmac")]) },
  { what: "missing tag", cli: true, bytes: () => rebuild(without("tag.hmac")) },
  { what: "missing payload", bytes: () => rebuild(without("payload.bin")) },
  { what: "missing header", bytes: () => rebuild(without("header.txt")) },
  { what: "missing meta-data", bytes: () => rebuild(without("meta.json")) },
  { what: "missing wrapped key", bytes: () => rebuild(without("key-1.oaep")) },
  { what: "no members at all", bytes: () => ustar([]) },
  { what: "payload size 077777777777 (8 GiB - 1)", cli: true, bytes: () => replacing("payload.bin", concat([tarHeader({ name: "payload.bin", size: 0o77777777777 }), m("payload.bin").content])) },
  { what: "tag size 077777777777", bytes: () => replacing("tag.hmac", concat([tarHeader({ name: "tag.hmac", size: 0o77777777777 }), m("tag.hmac").content])) },
  { what: "base-256 size field", bytes: () => replacing("payload.bin", concat([tarHeader({ name: "payload.bin", size: Uint8Array.from([0x80, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]) }), m("payload.bin").content])) },
  { what: "pax size=2^53", cli: true, bytes: () => replacing("payload.bin", paxMember("payload.bin", { size: String(2 ** 53) }), tarMember(spec(m("payload.bin")))) },
  { what: "pax size=2^64", bytes: () => replacing("payload.bin", paxMember("payload.bin", { size: "18446744073709551616" }), tarMember(spec(m("payload.bin")))) },
  { what: "pax size=-1", bytes: () => replacing("payload.bin", paxMember("payload.bin", { size: "-1" }), tarMember(spec(m("payload.bin")))) },
  { what: "pax size smaller than the content", bytes: () => replacing("payload.bin", paxMember("payload.bin", { size: "1" }), tarMember(spec(m("payload.bin")))) },
  { what: "oversized pax header (1 MiB)", bytes: () => replacing("payload.bin", tarMember({ name: "PaxHeader/payload.bin", type: "x", content: new Uint8Array(1 << 20).fill(0x20) }), tarMember(spec(m("payload.bin")))) },
  { what: "pax header with no member after it", bytes: () => ustar([...list.map(spec), paxMember("x", { size: "1" })]) },
  { what: "empty file", cli: true, bytes: () => new Uint8Array(0) },
  { what: "non-tar: CSV text", cli: true, bytes: () => new TextEncoder().encode("participant,rt\n".repeat(200)) },
  { what: "non-tar: short text", bytes: () => new TextEncoder().encode("hello\n") },
  { what: "non-tar: random bytes", bytes: () => pattern(8192, 99) },
  { what: "non-tar: zip magic", bytes: () => concat([Uint8Array.from([0x50, 0x4b, 0x03, 0x04]), pattern(4000, 3)]) },
  { what: "only zero blocks", bytes: () => new Uint8Array(20 * BLOCK) },
  { what: "0-byte header.txt", bytes: () => replacing("header.txt", tarMember({ name: "header.txt" })) },
  { what: "0-byte tag", cli: true, bytes: () => replacing("tag.hmac", tarMember({ name: "tag.hmac" })) },
  { what: "0-byte payload", bytes: () => replacing("payload.bin", tarMember({ name: "payload.bin" })) },
  { what: "0-byte meta-data", bytes: () => replacing("meta.json", tarMember({ name: "meta.json" })) },
  // A wrapped key's length is checked against the private key: `info`, which has none, may pass it.
  { what: "0-byte wrapped key", bytes: () => replacing("key-1.oaep", tarMember({ name: "key-1.oaep" })), infoMayPass: true },
  { what: "non-zero padding", bytes: () => replacing("tag.hmac", tarMember({ ...spec(m("tag.hmac")), padByte: 0x41 })) },
  { what: "bad header checksum", bytes: () => flip(valid, m("payload.bin").header + 20) },
  { what: "checksum field terminator altered", cli: true, bytes: () => flip(valid, m("payload.bin").header + 155, 0x08) },
  { what: "checksum field NUL made a space", bytes: () => flip(valid, m("payload.bin").header + 154, 0x20) },
  { what: "data after the end marker", bytes: () => concat([valid, new TextEncoder().encode("trailing garbage")]) },
  { what: "a non-zero block after the end marker", bytes: () => concat([valid, tarMember({ name: "late.txt", content: new Uint8Array(3) })]) },
  { what: "one end block only", bytes: () => valid.subarray(0, valid.length - BLOCK) },
  { what: "no end blocks", bytes: () => valid.subarray(0, valid.length - 2 * BLOCK) },
  { what: "gzip of a bundle (wrong layer)", bytes: () => gzipSync(valid) },
  { what: "gzip of garbage", bytes: () => gzipSync(pattern(50_000, 4)) },
  { what: "gzip bomb (legacy path)", cli: true, bytes: () => bomb() },
  { what: "gzip of a tar with absurd member sizes (legacy path)", bytes: () => gzipSync(ustar([{ name: "data.txt.aes256", size: 0o77777777777 }], END)) },
  { what: "gzip of a tar with links (legacy path)", bytes: () => gzipSync(ustar([{ name: "data.txt.aes256", type: "2", linkname: "/etc/shadow" }, { name: "data.txt.aes256pwd.rsa", content: new Uint8Array(256) }])) },
  { what: "gzip of a tar with ../ (legacy path)", cli: true, bytes: () => gzipSync(ustar([{ name: `../${UP}.aes256`, content: new TextEncoder().encode("U2FsdGVkX1") }, { name: `../${UP}.aes256pwd.rsa`, content: new Uint8Array(256) }])) },
];

function flip(b: Uint8Array, at: number, mask = 1): Uint8Array {
  const c = b.slice();
  c[at] = (c[at] ?? 0) ^ mask;
  return c;
}

let bombBytes: Uint8Array | undefined;
/** ~260 KB of gzip that inflates to 256 MiB of zeros (four gzip members of 64 MiB each). */
function bomb(): Uint8Array {
  bombBytes ??= (() => {
    const one = gzipSync(new Uint8Array(64 << 20), { level: 9 });
    return concat([one, one, one, one]);
  })();
  return bombBytes;
}

/** Nothing named like a hostile member anywhere it could have landed. */
function expectNoEscapes(): void {
  expect(fs.existsSync(ABS), ABS).toBe(false);
  for (const dir of [root.dir, path.dirname(root.dir), os.tmpdir(), "/"]) {
    const hits = fs.readdirSync(dir).filter((n) => n.includes(UP) || n.includes(LINK) || n.includes(DIR));
    expect(hits, dir).toEqual([]);
  }
}

describe("hostile archives, through the library", () => {
  it("the hand-written ustar writer reproduces opensslwrap's bundle byte for byte (control)", async () => {
    expect(Buffer.compare(rebuild(list), valid)).toBe(0);
    expect(list.map((x) => x.name)).toEqual(["header.txt", "key-1.oaep", "payload.bin", "meta.json", "tag.hmac"]);
    const r = await decryptBytes(rebuild(list), { privateKey: { key: lab.privPem } });
    expect(Buffer.compare(r.plaintext, plaintext)).toBe(0);
  });

  for (const c of cases) {
    it(`${c.what}: decrypt and info refuse it, nothing is written`, async () => {
      const dir = path.join(root.dir, `lib-${cases.indexOf(c)}`);
      fs.mkdirSync(dir);
      const file = path.join(dir, "b.enc");
      fs.writeFileSync(file, c.bytes());
      const before = tree(root.dir);
      const e = await refused(decrypt(file, { privateKey: { key: lab.privPem } }));
      expect(e.message).not.toContain("\n");
      if (c.infoMayPass !== true) expect((await refused(readMeta(file))).name).toMatch(/^(FormatError|IntegrityError)$/);
      else await readMeta(file).catch((err: unknown) => expect(err).toBeInstanceOf(FormatError));
      expect(tree(dir)).toEqual(["b.enc"]);
      expect(tree(root.dir)).toEqual(before);
      expectNoEscapes();
    });
  }

  it("truncated at every block boundary and at 64 other offsets: refused", async () => {
    const dir = path.join(root.dir, "trunc");
    fs.mkdirSync(dir);
    const file = path.join(dir, "b.enc");
    const offsets = new Set<number>();
    for (let at = 0; at < valid.length; at += BLOCK) for (const d of [0, 1, 511]) if (at + d < valid.length) offsets.add(at + d);
    for (let i = 0; i < 64; i++) offsets.add(Math.floor((i * 7919 * valid.length) / 64 / 7919) + (i % 13));
    for (const at of [...offsets].filter((x) => x < valid.length)) {
      fs.writeFileSync(file, valid.subarray(0, at));
      const e = await refused(decrypt(file, { privateKey: { key: lab.privPem } }));
      expect(e, `cut at ${at}`).toBeInstanceOf(FormatError);
      await refused(readMeta(file));
      expect(tree(dir), `cut at ${at}`).toEqual(["b.enc"]);
    }
  });

  it("a gzip bomb is refused in bounded memory (peak RSS of a child process)", () => {
    const dir = path.join(root.dir, "bomb");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "bomb.enc"), bomb());
    fs.writeFileSync(path.join(dir, "small.enc"), gzipSync(pattern(1000, 1)));
    // The child decrypts one file through the library and reports its error and peak RSS: VmHWM,
    // which execve resets (getrusage's maxrss keeps the forking parent's peak).
    const script = `
      const { decrypt } = await import(${JSON.stringify(path.resolve(path.dirname(CLI), "../index.js"))});
      const fs = await import("node:fs");
      let name = "none";
      try { await decrypt(process.argv[1], { privateKey: { key: fs.readFileSync(process.argv[2]) } }); } catch (e) { name = e.name + ": " + e.message; }
      const hwm = /VmHWM:\\s+(\\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
      console.log(JSON.stringify({ name, maxRssKiB: Number(hwm?.[1] ?? process.resourceUsage().maxRSS) }));`;
    const peak = (file: string) => {
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", script, path.join(dir, file), lab.priv], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { name: string; maxRssKiB: number };
    };
    const control = peak("small.enc");
    const b = peak("bomb.enc");
    expect(control.name).toMatch(/^FormatError/);
    expect(b.name).toMatch(/^FormatError: .*gzip bomb/);
    // 256 MiB inflated would show; the bound allows the engine and allocator noise.
    expect((b.maxRssKiB - control.maxRssKiB) / 1024, "MiB above the control").toBeLessThan(64);
    expect(tree(dir)).toEqual(["bomb.enc", "small.enc"]);
  });
});

describe("hostile archives, through the CLI", () => {
  it("decrypt and info: exit 1, one error line, nothing written, for every case", () => {
    const work = path.join(root.dir, "cli");
    fs.mkdirSync(work);
    const sample: Case[] = [
      ...cases.filter((c) => FULL || c.cli === true),
      { what: "truncated in the payload", bytes: () => valid.subarray(0, m("payload.bin").offset + 100) },
      { what: "truncated in a header block", bytes: () => valid.subarray(0, m("tag.hmac").header + 300) },
    ];
    for (const c of sample) {
      const dir = path.join(work, `c${sample.indexOf(c)}`);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, "b.enc"), c.bytes());
      const before = tree(root.dir);
      expectRefusedCli(cliDebug(["decrypt", "b.enc", "--privkey", lab.priv], dir), undefined, `decrypt: ${c.what}`);
      if (c.infoMayPass !== true) expectRefusedCli(cliDebug(["info", "b.enc"], dir), undefined, `info: ${c.what}`);
      if (FULL) {
        // --json: one line on stderr, and the failure as this bundle's JSON object on stdout.
        const r = cliDebug(["decrypt", "b.enc", "--privkey", lab.priv, "--out", "out.bin", "--json"], dir);
        expect(r.status, `decrypt --json: ${c.what}`).toBe(1);
        expect(errorLines(r.stderr), `decrypt --json: ${c.what}`).toHaveLength(1);
        expect(JSON.parse(r.stdout.toString()), `decrypt --json: ${c.what}`).toMatchObject({ path: "b.enc", ok: false });
      }
      expect(tree(dir), c.what).toEqual(["b.enc"]);
      expect(tree(root.dir), c.what).toEqual(before);
    }
    expectNoEscapes();
  }, 240_000);
});
