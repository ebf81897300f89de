/**
 * Secrets hygiene.
 * (a) No file with key material or plaintext is created on the real disk during encrypt, decrypt,
 *     rotate, info, genkeys: every path the CLI creates, links, renames or opens for writing is
 *     audited with strace where installed, and every folder involved (work folder, key folder, the
 *     child's TMPDIR and HOME) is watched with fs.watch in any case. Allowed: the output's own
 *     temp `.NAME.tmp-*` next to it (ciphertext for encrypt/rotate, the plaintext being written for
 *     decrypt), the output, and the original opened to be wiped.
 * (b) Outputs and generated private keys are 0600 even under umask 000.
 * (c) A private key file readable by others gets a warning.
 * (d) Error messages and --json output never contain the passphrase or plaintext; with a known
 *     one-time secret (test seam), no message or stack contains its hex either.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptBytes, encryptBytes, OpensslwrapError } from "../../src/index.js";
import { setTestSource } from "../../src/openssl/test-seam.js";
import { CLI, type CliResult } from "../helpers/cli.js";
import { hostKey, type TestKey } from "../helpers/keys.js";
import { make2012Bundle, hostKeyPair } from "../helpers/legacy-fixtures.js";
import { FULL, members, rebuild, scratch, tree } from "./util.js";
import { stream } from "../golden/vector.js";

const root = scratch("secrets");
const PASS = "PASS-Zq8x-never-printed";
const MARK = "PLAINTEXT-MARKER-7f3a";
const plaintext = `participant,response\n${Array.from({ length: 300 }, (_, i) => `${MARK}-${i},${i * 7}`).join("\n")}\n`;
let lab: TestKey;
let prot: TestKey;
const keys = path.join(root.dir, "keys");
const tmp = path.join(root.dir, "child-tmp");
const home = path.join(root.dir, "child-home");
const passFile = path.join(keys, "pass.txt");
const hasStrace = spawnSync("strace", ["-V"]).status === 0;

beforeAll(async () => {
  for (const d of [keys, tmp, home]) fs.mkdirSync(d);
  lab = hostKey(keys, "lab");
  prot = hostKey(keys, "prot", 2048, PASS);
  fs.writeFileSync(passFile, `${PASS}\n`, { mode: 0o600 });
  protBundle = await encryptBytes(new TextEncoder().encode(plaintext), { publicKeys: [prot.pubPem], name: "d.csv" });
});
afterAll(root.done);

/** The child's environment: its temp folder and home are folders we watch. */
const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...process.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp, HOME: home, ...extra });

function run(args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: env(extra), input: "" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

let n = 0;
function work(files: Record<string, string | Uint8Array> = {}): string {
  const dir = path.join(root.dir, `w${n++}`);
  fs.mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

interface Step {
  what: string;
  files: Record<string, string | Uint8Array>;
  args: string[];
  /** Paths (relative to the work folder) the step may create, link, rename or open for writing. */
  allowed: RegExp;
  before?: (dir: string) => void;
}

const legacyKey = hostKeyPair(2048);
/** d.csv encrypted for prot, made once in-process (cheaper than a CLI run per step). */
let protBundle: Uint8Array;
const steps = (): Step[] => [
  { what: "encrypt (signed with a protected key)", files: { "d.csv": plaintext }, args: ["encrypt", "d.csv", "--pubkey", lab.pub, "--sign-with", prot.priv, "--passphrase-file", passFile], allowed: /^(\.d\.csv\.enc\.tmp-[0-9a-z-]+|d\.csv\.enc|d\.csv)$/ },
  { what: "decrypt (protected key)", files: {}, args: ["decrypt", "d.csv.enc", "--privkey", prot.priv, "--passphrase-file", passFile], allowed: /^(\.d\.csv\.tmp-[0-9a-z-]+|d\.csv)$/, before: (dir) => fs.writeFileSync(path.join(dir, "d.csv.enc"), protBundle) },
  { what: "rotate", files: {}, args: ["rotate", "d.csv.enc", "--privkey", prot.priv, "--passphrase-file", passFile, "--pubkey", lab.pub], allowed: /^(\.d\.csv\.enc\.tmp-[0-9a-z-]+|d\.csv\.enc)$/, before: (dir) => fs.writeFileSync(path.join(dir, "d.csv.enc"), protBundle) },
  { what: "info --json", files: {}, args: ["info", "d.csv.enc", "--json"], allowed: /^$/, before: (dir) => fs.writeFileSync(path.join(dir, "d.csv.enc"), protBundle) },
  { what: "genkeys", files: {}, args: ["genkeys", "--out-dir", "k", "--name", "new", "--bits", "2048", "--passphrase-file", passFile], allowed: /^(k|k\/\.new\.(priv|pub)\.pem\.tmp-[0-9a-z-]+|k\/new\.(priv|pub)\.pem)$/ },
  { what: "decrypt of a 2012 bundle", files: { "old.enc": make2012Bundle({ plaintext: new TextEncoder().encode(plaintext), pub: legacyKey.pub, md: "md5" }).bundle, "old.pem": legacyKey.priv }, args: ["decrypt", "old.enc", "--privkey", "old.pem"], allowed: /^(\.data\.txt\.tmp-[0-9a-z-]+|data\.txt)$/ },
];

function prepare(s: Step): string {
  const dir = work(s.files);
  s.before?.(dir);
  return dir;
}

describe("(a) nothing but the output and its own temp file is written", () => {
  it.skipIf(!hasStrace)("strace: every created, linked, renamed or written path of each verb", () => {
    for (const s of steps()) {
      const dir = prepare(s);
      const log = path.join(root.dir, `strace-${n}.log`);
      const r = spawnSync("strace", ["-f", "-qq", "-o", log, "-e", "trace=open,openat,creat,mkdir,mkdirat,link,linkat,rename,renameat,renameat2,symlink,symlinkat,truncate", process.execPath, CLI, ...s.args], { cwd: dir, env: env(), input: "" });
      expect(r.status, `${s.what}: ${r.stderr.toString()}`).toBe(0);
      const written: string[] = [];
      for (const line of fs.readFileSync(log, "utf8").split("\n")) {
        if (/ = -1 E/.test(line) || line.includes("<unfinished")) continue;
        const open = /open(?:at)?\((?:AT_FDCWD, )?"([^"]+)", ([A-Z_|]+)/.exec(line);
        if (open !== null) {
          if (/O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/.test(open[2] ?? "") && !/^\/dev\/(null|tty|pts)/.test(open[1] ?? "")) written.push(open[1] ?? "");
          continue;
        }
        const other = /(?:mkdir|mkdirat|link|linkat|rename|renameat2?|symlink|symlinkat|creat|truncate)\((?:AT_FDCWD, )?"([^"]+)"(?:, (?:AT_FDCWD, )?"([^"]+)")?/.exec(line);
        if (other !== null) written.push(...[other[1], other[2]].filter((x): x is string => x !== undefined));
      }
      const rel = written.map((p) => (path.isAbsolute(p) ? path.relative(dir, p) : p));
      expect(rel.filter((p) => !s.allowed.test(p)), `${s.what} wrote outside its output`).toEqual([]);
      // Not vacuous: the audit saw the output being written (info writes nothing).
      if (s.args[0] !== "info") expect(rel.filter((p) => p.includes(".tmp-")).length, `${s.what}: ${rel.join(", ")}`).toBeGreaterThan(0);
    }
  }, 120_000);

  it("fs.watch on the work folder, the key folder and the child's TMPDIR and HOME", async () => {
    for (const s of steps()) {
      const dir = prepare(s);
      // genkeys' folder is made beforehand here, so that it can be watched too (inotify: one
      // folder per watch; a recursive watch misses files that live only for a moment).
      if (s.args[0] === "genkeys") fs.mkdirSync(path.join(dir, "k"), { mode: 0o700 });
      const seen: string[] = [];
      const folders = [dir, ...(s.args[0] === "genkeys" ? [path.join(dir, "k")] : []), keys, tmp, home];
      const watchers = folders.map((d) => fs.watch(d, (_e, name) => seen.push(d === dir ? String(name) : d.startsWith(dir) ? `${path.relative(dir, d)}/${String(name)}` : `${d}:${String(name)}`)));
      // A poll as well: fs.watch reports creations; the listing catches anything left over.
      const before = [keys, tmp, home].map((d) => tree(d).join(","));
      const r = spawnSync(process.execPath, [CLI, ...s.args], { cwd: dir, env: env(), input: "" });
      await new Promise((res) => setTimeout(res, 100));
      for (const w of watchers) w.close();
      expect(r.status, `${s.what}: ${r.stderr.toString()}`).toBe(0);
      const inputs = new Set(Object.keys(s.files).concat(s.before === undefined ? [] : ["d.csv.enc"]));
      expect(
        seen.filter((x) => !s.allowed.test(x) && !inputs.has(x)),
        s.what,
      ).toEqual([]);
      if (s.args[0] !== "info") expect(seen.some((x) => x.includes(".tmp-")), `${s.what}: ${seen.join(", ")}`).toBe(true);
      expect([keys, tmp, home].map((d) => tree(d).join(",")), s.what).toEqual(before);
    }
  }, 120_000);

  it("bundles hold no plaintext, passphrase or private key", () => {
    const dir = work({ "d.csv": plaintext });
    expect(run(["encrypt", "d.csv", "--pubkey", lab.pub, "--pubkey", prot.pub, "--sign-with", prot.priv, "--passphrase-file", passFile], dir).status).toBe(0);
    const b = fs.readFileSync(path.join(dir, "d.csv.enc")).toString("latin1");
    for (const secret of [MARK, PASS, "PRIVATE KEY", fs.readFileSync(lab.priv, "utf8").split("\n")[1] ?? "x"]) expect(b.includes(secret), secret).toBe(false);
  });
});

describe("(b) modes under umask 000", () => {
  const umask0 = (args: string[], cwd: string) => spawnSync("sh", ["-c", 'umask 000; exec "$0" "$@"', process.execPath, CLI, ...args], { cwd, env: env(), input: "" });
  const mode = (p: string) => fs.statSync(p).mode & 0o777;

  it("bundle, decrypted file, rotated bundle, generated keys and their folder, openssl outputs", () => {
    const dir = work({ "d.csv": plaintext });
    const steps: [string[], string, number][] = [
      [["encrypt", "d.csv", "--pubkey", prot.pub, "--keep", "--out", "a.enc"], "a.enc", 0o600],
      [["decrypt", "a.enc", "--privkey", prot.priv, "--passphrase-file", passFile, "--out", "back.csv"], "back.csv", 0o600],
      [["rotate", "a.enc", "--privkey", prot.priv, "--passphrase-file", passFile, "--pubkey", lab.pub], "a.enc", 0o600],
      [["genkeys", "--out-dir", "newkeys", "--name", "k", "--bits", "2048", "--passphrase-file", passFile], "newkeys/k.priv.pem", 0o600],
      [["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "raw.pem"], "raw.pem", 0o600],
    ];
    for (const [args, file, want] of steps) {
      const r = umask0(args, dir);
      expect(r.status, `${args.join(" ")}: ${r.stderr.toString()}`).toBe(0);
      expect(mode(path.join(dir, file)).toString(8), args.join(" ")).toBe(want.toString(8));
    }
    expect(mode(path.join(dir, "newkeys")).toString(8)).toBe("700");
    expect(mode(path.join(dir, "newkeys", "k.pub.pem")).toString(8)).toBe("644");
    // The original keeps its own mode (--keep): opensslwrap does not touch it.
    expect(tree(dir).filter((x) => x.startsWith("."))).toEqual([]);
  }, 120_000);
});

describe("(c) private keys readable by others", () => {
  it("are used, with a warning; 0600 keys get none", () => {
    const dir = work({ "d.csv": plaintext });
    const open = path.join(dir, "open.priv.pem");
    fs.copyFileSync(lab.priv, open);
    fs.chmodSync(open, 0o644);
    expect(run(["encrypt", "d.csv", "--pubkey", lab.pub, "--keep"], dir).status).toBe(0);
    const warning = /^opensslwrap: warning: private key .*open\.priv\.pem is readable by other users \(chmod 600 /m;
    for (const args of [
      ["decrypt", "d.csv.enc", "--privkey", open, "--out", "o1.csv"],
      ["rotate", "d.csv.enc", "--privkey", open, "--pubkey", lab.pub],
      ["sign", "d.csv", "--privkey", open],
      ["encrypt", "d.csv", "--pubkey", lab.pub, "--keep", "--out", "s.enc", "--sign-with", open],
    ]) {
      const r = run(args, dir);
      expect(r.status, `${args[0]}: ${r.stderr}`).toBe(0);
      expect(r.stderr, args[0]).toMatch(warning);
    }
    fs.chmodSync(open, 0o640);
    expect(run(["decrypt", "d.csv.enc", "--privkey", open, "--out", "o2.csv"], dir).stderr).toMatch(warning);
    fs.chmodSync(open, 0o600);
    expect(run(["decrypt", "d.csv.enc", "--privkey", open, "--out", "o3.csv"], dir).stderr).not.toMatch(/readable by other users/);
  }, 60_000);
});

describe("(d) no secret in any message or --json output", () => {
  it("the passphrase and the plaintext never appear on stdout or stderr, succeeding or failing, even with OPENSSLWRAP_DEBUG", () => {
    const dir = work({ "d.csv": plaintext, "wrong.txt": "not it\n" });
    const outputs: string[] = [];
    const go = (args: string[], extra: NodeJS.ProcessEnv = {}) => {
      const r = run(args, dir, extra);
      outputs.push(`${args.join(" ")}\n${r.stdout.toString()}\n${r.stderr}`);
      return r;
    };
    expect(go(["encrypt", "d.csv", "--pubkey", prot.pub, "--keep", "--json"]).status).toBe(0);
    const b = fs.readFileSync(path.join(dir, "d.csv.enc"));
    const list = members(b);
    const payload = list.find((m) => m.name === "payload.bin");
    if (payload !== undefined) payload.content[10] = (payload.content[10] ?? 0) ^ 1;
    fs.writeFileSync(path.join(dir, "tampered.enc"), rebuild(list));
    // With OPENSSLWRAP_DEBUG an untyped error prints its whole stack: a superset of the one line.
    for (const extra of FULL ? [{}, { OPENSSLWRAP_DEBUG: "1" }] : [{ OPENSSLWRAP_DEBUG: "1" }]) {
      go(["decrypt", "d.csv.enc", "--privkey", prot.priv, "--passphrase-file", path.join(dir, "wrong.txt"), "--json"], extra);
      go(["decrypt", "d.csv.enc", "--privkey", prot.priv, "--json"], { ...extra, OPENSSLWRAP_PASSPHRASE: `${PASS}x` });
      go(["decrypt", "tampered.enc", "--privkey", prot.priv, "--passphrase-file", passFile, "--json", "--out", "t.csv"], extra);
      go(["decrypt", "d.csv.enc", "--privkey", lab.priv, "--json", "--out", "t.csv"], extra);
      go(["decrypt", "d.csv", "--privkey", prot.priv, "--passphrase-file", passFile], extra);
      go(["encrypt", "d.csv", "--pubkey", prot.priv, "--json"], extra);
      go(["sign", "d.csv", "--privkey", prot.priv, "--passphrase-file", path.join(dir, "wrong.txt")], extra);
      go(["rotate", "d.csv.enc", "--privkey", prot.priv, "--pubkey", lab.pub, "--json"], { ...extra, OPENSSLWRAP_PASSPHRASE: "wrong" });
    }
    expect(go(["decrypt", "d.csv.enc", "--privkey", prot.priv, "--json", "--out", "ok.csv"], { OPENSSLWRAP_PASSPHRASE: PASS }).status).toBe(0);
    expect(go(["info", "d.csv.enc", "--json"]).status).toBe(0);
    expect(go(["info", "d.csv.enc"]).status).toBe(0);
    expect(go(["rotate", "d.csv.enc", "--privkey", prot.priv, "--passphrase-file", passFile, "--pubkey", lab.pub, "--json"]).status).toBe(0);
    for (const o of outputs) {
      expect(o.includes(PASS), o).toBe(false);
      expect(o.includes(MARK), o).toBe(false);
      expect(o.includes("participant,response"), o).toBe(false);
      expect(o.includes("PRIVATE KEY-----"), o).toBe(false);
    }
  }, 120_000);

  it("with a known one-time secret (test seam): no error message or stack contains its hex", async () => {
    setTestSource({ random: stream(0x5eed), engineRandom: () => stream(0xe9e), clock: { realtimeNs: () => 1_780_963_200_000_000_000n, monotonicNs: () => 1_000_000n }, now: () => new Date(Date.UTC(2026, 5, 9)) });
    try {
      // seal() draws the 64-byte secret first: with the test seam it is the stream's first 64 bytes.
      const secret = new Uint8Array(64);
      stream(0x5eed)(secret);
      const hex = Buffer.from(secret).toString("hex");
      const sealed = await encryptBytes(new TextEncoder().encode(plaintext), { publicKeys: [lab.pubPem], name: "d.csv" });
      // The secret really is that one: the bundle's tag checks with its HMAC half.
      const list = members(sealed);
      const { createHmac } = await import("node:crypto");
      const tag = createHmac("sha256", Buffer.from(secret.subarray(32))).update(Buffer.concat(["header.txt", "key-1.oaep", "payload.bin"].map((nm) => list.find((m) => m.name === nm)?.content ?? new Uint8Array(0)))).digest();
      expect(Buffer.compare(tag, list.find((m) => m.name === "tag.hmac")?.content ?? new Uint8Array(0))).toBe(0);
      const messages: string[] = [];
      for (const name of ["payload.bin", "tag.hmac", "header.txt", "key-1.oaep"]) {
        const copy = members(sealed);
        const m = copy.find((x) => x.name === name);
        if (m !== undefined) m.content[m.content.length - 1] = (m.content[m.content.length - 1] ?? 0) ^ 1;
        try {
          await decryptBytes(rebuild(copy), { privateKey: { key: lab.privPem } });
          messages.push("decrypted?!");
        } catch (e) {
          expect(e).toBeInstanceOf(OpensslwrapError);
          messages.push(`${String(e)}\n${(e as Error).stack ?? ""}\n${JSON.stringify(e)}`);
        }
      }
      for (const part of [hex, hex.slice(0, 64), hex.slice(64), hex.slice(0, 16), hex.slice(64, 80)]) for (const m of messages) expect(m.includes(part), m).toBe(false);
      expect(messages.join("").includes(MARK)).toBe(false);
    } finally {
      setTestSource(undefined);
    }
  });
});
