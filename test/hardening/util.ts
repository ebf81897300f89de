/**
 * Shared tools of the hardening suite: a small ustar writer (hostile archives are built byte by
 * byte, not with a tar program that would refuse or sanitise them), an independent v2 bundle
 * forger on Node's own crypto (anyone who holds a recipient's PUBLIC key can make a bundle that
 * passes every cryptographic check, so everything after the tag check must still be robust), a
 * snapshot of folders to prove that a refused run wrote nothing, and CLI expectations.
 */
import { spawn, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "vitest";
import { OpensslwrapError } from "../../src/index.js";
import { CLI, type CliResult } from "../helpers/cli.js";
import { concatBytes } from "../../src/bundle/views.js";

/** Heavy variants (every position, every bit, 20 kill points...) run with HARDENING_FULL=1. */
export const FULL = process.env["HARDENING_FULL"] === "1";

export const BLOCK = 512;

/** A fresh folder under the system temp folder; `done()` removes it. */
export function scratch(prefix: string): { dir: string; done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `osw-hard-${prefix}-`));
  return { dir, done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Every path below `dir` (files, links and folders, dot files too), relative and sorted. */
export function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel === "" ? e.name : `${rel}/${e.name}`;
      out.push(p);
      if (e.isDirectory()) walk(p);
    }
  };
  walk("");
  return out.sort();
}

/** A unique marker for names that must never appear on disk. */
export const marker = (what: string): string => `hx-${what}-${crypto.randomBytes(4).toString("hex")}`;

// ---------------------------------------------------------------------------------------------
// ustar, by hand

export interface TarSpec {
  name: string;
  content?: Uint8Array;
  /** typeflag, default "0". */
  type?: string;
  linkname?: string;
  /** The size field as written: a number (octal), or raw field bytes (e.g. base-256). Default: content length. */
  size?: number | Uint8Array;
  /** ustar prefix field (345..500). */
  prefix?: string;
  mode?: number;
  magic?: "ustar\u000000" | "ustar  \u0000";
  /** Fill byte of the padding (non-zero to test the padding check). */
  padByte?: number;
}

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

function put(block: Uint8Array, at: number, len: number, value: string | Uint8Array): void {
  const bytes = typeof value === "string" ? latin1(value) : value;
  block.set(bytes.subarray(0, len), at);
}

const octal = (value: number, width: number): string => `${value.toString(8).padStart(width - 1, "0")}\0`;

/** One header block exactly as opensslwrap and GNU tar write it (mode 0600, uid/gid 0, mtime 0). */
export function tarHeader(s: TarSpec): Uint8Array {
  const b = new Uint8Array(BLOCK);
  put(b, 0, 100, s.name);
  put(b, 100, 8, octal(s.mode ?? 0o600, 8));
  put(b, 108, 8, octal(0, 8));
  put(b, 116, 8, octal(0, 8));
  const size = s.size ?? s.content?.length ?? 0;
  put(b, 124, 12, typeof size === "number" ? octal(size, 12) : size);
  put(b, 136, 12, octal(0, 12));
  put(b, 148, 8, "        ");
  put(b, 156, 1, s.type ?? "0");
  put(b, 157, 100, s.linkname ?? "");
  put(b, 257, 8, s.magic ?? "ustar\u000000");
  if (s.prefix !== undefined) put(b, 345, 155, s.prefix);
  const sum = b.reduce((a, x) => a + x, 0);
  put(b, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return b;
}

export const concat = concatBytes;

/** A member: header, content, padding to a whole block. */
export function tarMember(s: TarSpec): Uint8Array {
  const content = s.content ?? new Uint8Array(0);
  const pad = new Uint8Array((BLOCK - (content.length % BLOCK)) % BLOCK).fill(s.padByte ?? 0);
  return concat([tarHeader(s), content, pad]);
}

/** A pax extended header ("x") holding `records`, for the member that follows it. */
export function paxMember(name: string, records: Record<string, string>): Uint8Array {
  const text = Object.entries(records)
    .map(([k, v]) => {
      const body = ` ${k}=${v}\n`;
      let len = body.length + 1;
      while (`${len}${body}`.length !== len) len = `${len}${body}`.length;
      return `${len}${body}`;
    })
    .join("");
  return tarMember({ name: `PaxHeader/${name}`.slice(0, 100), type: "x", content: new TextEncoder().encode(text) });
}

export const END = new Uint8Array(2 * BLOCK);

/** A whole archive: members, then the two zero blocks. */
export function ustar(members: readonly (TarSpec | Uint8Array)[], end = END): Uint8Array {
  return concat([...members.map((m) => (m instanceof Uint8Array ? m : tarMember(m))), end]);
}

export interface Member {
  name: string;
  content: Uint8Array;
  /** Offset of the header block in the archive. */
  header: number;
  /** Offset of the content. */
  offset: number;
}

/** Splits a well-formed archive (made by opensslwrap) into its members; no validation. */
export function members(archive: Uint8Array): Member[] {
  const out: Member[] = [];
  let at = 0;
  while (at + BLOCK <= archive.length) {
    const block = archive.subarray(at, at + BLOCK);
    if (block.every((x) => x === 0)) break;
    const nul = block.indexOf(0);
    const name = new TextDecoder().decode(block.subarray(0, nul < 0 || nul > 100 ? 100 : nul));
    const size = parseInt(new TextDecoder().decode(block.subarray(124, 135)), 8);
    out.push({ name, content: archive.slice(at + BLOCK, at + BLOCK + size), header: at, offset: at + BLOCK });
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}

/** Rebuilds an archive from (name, content) pairs the way opensslwrap writes it. */
export function rebuild(list: readonly { name: string; content: Uint8Array }[]): Uint8Array {
  return ustar(list.map((m) => ({ name: m.name, content: m.content })));
}

// ---------------------------------------------------------------------------------------------
// An independent v2 writer on node:crypto (docs/FORMAT.md), for bundles a hostile sender can make

const sha256hex = (b: Uint8Array): string => crypto.createHash("sha256").update(b).digest("hex");

/** The spec's fingerprint of a public key, or of the public half of a private key (PEM). */
export function fingerprint(pem: Uint8Array): string {
  const der = crypto.createPublicKey(Buffer.from(pem)).export({ type: "spki", format: "der" });
  return sha256hex(der);
}

export interface ForgeOptions {
  plaintext: Uint8Array;
  /** Recipients' public keys (PEM). */
  recipients: readonly Uint8Array[];
  /** meta.json: an object (serialised) or raw bytes. Default: the --no-meta form. */
  meta?: object | Uint8Array;
  /** Signers' private keys (PEM, unprotected). */
  signers?: readonly Uint8Array[];
  /** First line of header.txt, default "opensslwrap-bundle 2". */
  firstLine?: string;
  /** Changes the members after tag and signatures are made (to tamper). */
  edit?: (m: { name: string; content: Uint8Array }[]) => void;
}

export interface Forged {
  bundle: Uint8Array;
  members: { name: string; content: Uint8Array }[];
  secret: Uint8Array;
}

/** A v2 bundle made from scratch with Node's crypto: valid tag, valid wrapped keys, any meta. */
export function forge(o: ForgeOptions): Forged {
  const secret = crypto.randomBytes(64);
  const iv = crypto.randomBytes(16);
  const c = crypto.createCipheriv("aes-256-ctr", secret.subarray(0, 32), iv);
  const payload = Buffer.concat([c.update(o.plaintext), c.final()]);
  const wrapped = o.recipients.map((pem) => crypto.publicEncrypt({ key: Buffer.from(pem), padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, secret));
  const meta = o.meta instanceof Uint8Array ? o.meta : new TextEncoder().encode(JSON.stringify(o.meta ?? { format: "opensslwrap-bundle", version: 2 }));
  const signers = o.signers ?? [];
  const header = new TextEncoder().encode(
    [
      o.firstLine ?? "opensslwrap-bundle 2",
      "cipher aes-256-ctr",
      `iv ${iv.toString("hex")}`,
      "mac hmac-sha256",
      `payload-bytes ${String(payload.length).padStart(20, "0")}`,
      `meta-sha256 ${sha256hex(meta)}`,
      "wrap rsa-oaep-sha256",
      ...o.recipients.map((pem) => `recipient ${fingerprint(pem)}`),
      ...signers.map((pem) => `signer ${fingerprint(pem)} rsa-pss-sha256`),
    ]
      .map((l) => `${l}\n`)
      .join(""),
  );
  const signed = Buffer.concat([header, ...wrapped, payload]);
  const tag = crypto.createHmac("sha256", secret.subarray(32)).update(signed).digest();
  const sigs = signers.map((pem) => crypto.sign("sha256", signed, { key: Buffer.from(pem), padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }));
  const list = [
    { name: "header.txt", content: header },
    ...wrapped.map((w, i) => ({ name: `key-${i + 1}.oaep`, content: new Uint8Array(w) })),
    { name: "payload.bin", content: new Uint8Array(payload) },
    { name: "meta.json", content: meta },
    { name: "tag.hmac", content: new Uint8Array(tag) },
    ...sigs.map((s, i) => ({ name: `sig-${i + 1}.pss`, content: new Uint8Array(s) })),
  ];
  o.edit?.(list);
  return { bundle: rebuild(list), members: list, secret: new Uint8Array(secret) };
}

// ---------------------------------------------------------------------------------------------
// Expectations

/** Awaits `p`, which must reject with a typed opensslwrap error; returns it. */
export async function refused(p: Promise<unknown>): Promise<OpensslwrapError> {
  let error: unknown;
  try {
    await p;
  } catch (e) {
    error = e;
  }
  if (error === undefined) throw new Error("expected a refusal, but it succeeded");
  if (!(error instanceof OpensslwrapError)) throw new Error(`expected a typed OpensslwrapError, got ${String(error)}`, { cause: error });
  return error;
}

/**
 * The built CLI, with OPENSSLWRAP_DEBUG set: an untyped error (a crash: TypeError, RangeError...)
 * then prints its stack, which the one-line check below catches.
 */
export function cliDebug(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, OPENSSLWRAP_DEBUG: "1", ...env }, maxBuffer: 1 << 28, input: "" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** Error lines on stderr, warnings left out. */
export const errorLines = (stderr: string): string[] => stderr.split("\n").filter((l) => l !== "" && !l.startsWith("opensslwrap: warning:"));

/** Exit 1, exactly one "opensslwrap: ..." error line (matching `re`), nothing on stdout. */
export function expectRefusedCli(r: CliResult, re?: RegExp, what = ""): string {
  const lines = errorLines(r.stderr);
  expect(r.status, `${what}: ${r.stderr}`).toBe(1);
  expect(lines, `${what}: ${r.stderr}`).toHaveLength(1);
  const line = lines[0] ?? "";
  expect(line, what).toMatch(/^opensslwrap: \S/);
  if (re !== undefined) expect(line, what).toMatch(re);
  expect(r.stdout.toString(), what).toBe("");
  return line;
}

/** The CLI as a child process (for runs to kill or to run side by side). */
export function spawnCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Control characters a terminal acts on (C0 but newline and tab, DEL, C1). */
// eslint-disable-next-line no-control-regex
export const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const sha = (b: Uint8Array): string => sha256hex(b);
