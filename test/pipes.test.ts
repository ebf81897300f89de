/**
 * Pipes: `encrypt -` (standard input: held in memory, or spooled encrypted, never plaintext on the
 * disk; verified by read-back against the plaintext as it streamed), `decrypt BUNDLE --out -`
 * (standard output, only after the tag was checked in a pass of its own, whatever the size) and
 * `decrypt -` (a bundle from standard input). The library, then the real CLI.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBundle, openJob, unwrap } from "../src/bundle/v2.js";
import { readPrivateKey } from "../src/bundle/keys.js";
import { decryptBytes, decryptTo, encryptBytes, encryptStream, FormatError, IntegrityError } from "../src/index.js";
import { receiveBundle } from "../src/verbs/node-pipes.js";
import { MemoryFile } from "../src/wasi/index.js";
import { CLI, cli } from "./helpers/cli.js";
import { ctx } from "./helpers/context.js";
import { flipped, pattern } from "./helpers/data.js";
import { hostKey, type TestKey } from "./helpers/keys.js";

let tmp: string;
let lab: TestKey;
/** A bundle of 33 MiB (above the size where the engines check the tag while decrypting) with one payload byte flipped. */
let bigTampered: Uint8Array;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "opensslwrap-pipes-"));
  lab = hostKey(tmp, "lab", 3072);
  const big = await encryptBytes(pattern(33 << 20, 5), { publicKeys: [lab.pubPem] });
  bigTampered = flipped(big, big.length - 10 * 1024);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function folder(files: Record<string, Uint8Array> = {}): string {
  const dir = path.join(tmp, `w${n++}`);
  fs.mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

/** `data` as a stream of `size`-byte chunks (fresh copies: the library zeroes what it took); `during(at)` runs before each. */
async function* chunks(data: Uint8Array, size: number, during?: (at: number) => void): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) {
    during?.(at);
    yield data.slice(at, at + size);
  }
}

const temps = (dir: string) => fs.readdirSync(dir).filter((x) => x.includes(".tmp-"));

describe("library: encryptStream", () => {
  it("a short stream, held in memory: a verified bundle that records no name", async () => {
    const data = pattern(100_003, 1);
    const dir = folder();
    const r = await encryptStream(chunks(data, 4096), path.join(dir, "s.enc"), { publicKeys: [lab.pubPem] });
    expect(r.bundle).toBe(path.join(dir, "s.enc"));
    expect(r.meta.file).toEqual({ size: data.length });
    const back = await decryptBytes(fs.readFileSync(r.bundle), { privateKey: { key: lab.privPem } });
    expect(Buffer.from(back.plaintext).equals(data)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(["s.enc"]);
  });

  for (const engine of ["auto", "wasm"] as const) {
    it(`a long stream (engine ${engine}): spooled encrypted (0600, no plaintext in it), then removed`, async () => {
      const data = pattern((engine === "wasm" ? 2 << 20 : 3 << 20) + 5, 2);
      const dir = folder();
      let seen = 0;
      // Looks at the spool while the stream is still coming in (odd chunk sizes: writes off block boundaries).
      const look = (at: number) => {
        if (at < (data.length * 3) / 4) return;
        const [spool] = temps(dir);
        if (spool === undefined) return;
        const file = path.join(dir, spool);
        if (process.platform !== "win32") expect(fs.statSync(file).mode & 0o777).toBe(0o600);
        const held = fs.readFileSync(file);
        if (held.length === 0) return;
        seen++;
        for (let i = 0; i + 64 <= held.length; i += 64 << 10) expect(held.indexOf(Buffer.from(data.subarray(i, i + 64)))).toBe(-1);
      };
      const r = await encryptStream(chunks(data, 7777, look), path.join(dir, "s.enc"), { publicKeys: [lab.pubPem], memoryLimit: 1000, engine });
      expect(seen, "the spool was never seen holding data").toBeGreaterThan(0);
      const back = await decryptBytes(fs.readFileSync(r.bundle), { privateKey: { key: lab.privPem } });
      expect(Buffer.from(back.plaintext).equals(data)).toBe(true);
      expect(fs.readdirSync(dir)).toEqual(["s.enc"]);
    }, 120_000);
  }

  it("a spool altered on the disk fails the read-back check: nothing written, nothing left", async () => {
    const data = pattern(2 << 20, 3);
    const dir = folder();
    // At the last chunk, flip a byte of what was spooled so far.
    const alter = (at: number) => {
      if (at + 65536 < data.length) return;
      const [spool] = temps(dir);
      const fd = fs.openSync(path.join(dir, spool ?? "none"), "r+");
      const b = Buffer.alloc(1);
      fs.readSync(fd, b, 0, 1, 100);
      b[0] = (b[0] ?? 0) ^ 1;
      fs.writeSync(fd, b, 0, 1, 100);
      fs.closeSync(fd);
    };
    const e = await encryptStream(chunks(data, 65536, alter), path.join(dir, "s.enc"), { publicKeys: [lab.pubPem], memoryLimit: 1000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FormatError);
    expect((e as Error).message).toMatch(/^read-back check failed/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("an existing bundle is refused before the stream is read", async () => {
    const dir = folder({ "s.enc": new Uint8Array(1) });
    let read = false;
    const e = await encryptStream(chunks(pattern(10), 10, () => (read = true)), path.join(dir, "s.enc"), { publicKeys: [lab.pubPem] }).catch((x: unknown) => x);
    expect((e as Error).name).toBe("FileExistsError");
    expect(read).toBe(false);
  });
});

describe("library: decryptTo and receiveBundle", () => {
  it("decryptTo hands the plaintext over in order", async () => {
    const data = pattern(3 << 20, 4);
    const file = path.join(folder(), "b.enc");
    fs.writeFileSync(file, await encryptBytes(data, { publicKeys: [lab.pubPem] }));
    const got: Buffer[] = [];
    await decryptTo(file, (b) => got.push(Buffer.from(b)), { privateKey: { key: lab.privPem } });
    expect(Buffer.concat(got).equals(data)).toBe(true);
  });

  for (const engine of ["auto", "wasm"] as const) {
    it(`a tampered 33 MiB bundle (engine ${engine}): not one byte reaches the stream, IntegrityError`, async () => {
      const file = path.join(folder(), "big.enc");
      fs.writeFileSync(file, bigTampered);
      let written = 0;
      const e = await decryptTo(file, (b) => (written += b.length), { privateKey: { key: lab.privPem }, engine }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(IntegrityError);
      expect(written).toBe(0);
    }, 120_000);

    it(`the bulk engine (${engine}) with tagFirst asks for no output before the tag fails`, async () => {
      const b = await openBundle(ctx, new MemoryFile(bigTampered));
      const key = { key: lab.privPem };
      const secret = await unwrap(ctx, b, key, await readPrivateKey(ctx, key));
      let asked = false;
      const opened = ctx.bulk(engine).open({ ...openJob(b, secret), tagFirst: true }, async () => {
        asked = true;
        return new MemoryFile();
      });
      await expect(opened).rejects.toBeInstanceOf(IntegrityError);
      expect(asked).toBe(false);
      secret.fill(0);
    }, 120_000);
  }

  it("receiveBundle: a long bundle waits in a private temp file, removed by dispose", async () => {
    const bundle = await encryptBytes(pattern(50_000, 6), { publicKeys: [lab.pubPem] });
    const dir = folder();
    const received = await receiveBundle(chunks(bundle, 4096), dir, { memoryLimit: 1000 });
    const [held] = temps(dir);
    expect(held).toMatch(/^\.stdin\.enc\.tmp-/);
    if (process.platform !== "win32") expect(fs.statSync(path.join(dir, held ?? "")).mode & 0o777).toBe(0o600);
    expect(Buffer.from(await received.whole()).equals(bundle)).toBe(true);
    await received.dispose();
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe("CLI", () => {
  const bin = (args: string[], cwd: string, input?: Uint8Array) => spawnSync(process.execPath, [CLI, ...args], { cwd, input, maxBuffer: 1 << 28 });

  it("encrypt - --out, then decrypt --out - and decrypt - --out -: the bytes that went in", () => {
    const data = pattern(300_001, 7);
    const dir = folder();
    const enc = bin(["encrypt", "-", "--out", "data.tar.enc", "--pubkey", lab.pub], dir, data);
    expect(enc.status, enc.stderr.toString()).toBe(0);
    expect(enc.stdout.toString()).toBe("data.tar.enc\n");
    const out = bin(["decrypt", "data.tar.enc", "--privkey", lab.priv, "--out", "-"], dir);
    expect(out.status, out.stderr.toString()).toBe(0);
    expect(out.stdout.equals(data)).toBe(true);
    const piped = bin(["decrypt", "-", "--privkey", lab.priv, "--out", "-"], dir, fs.readFileSync(path.join(dir, "data.tar.enc")));
    expect(piped.stdout.equals(data)).toBe(true);
    // No file named '-', no temp file.
    expect(fs.readdirSync(dir)).toEqual(["data.tar.enc"]);
  });

  it("decrypt - writes the recorded name in the current folder", () => {
    const dir = folder({ "P007.csv": pattern(1000, 8) });
    expect(cli(["encrypt", "P007.csv", "--pubkey", lab.pub], dir).status).toBe(0);
    const bundle = fs.readFileSync(path.join(dir, "P007.csv.enc"));
    const other = folder();
    const r = bin(["decrypt", "-", "--privkey", lab.priv], other, bundle);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString()).toBe("P007.csv\n");
    expect(fs.readFileSync(path.join(other, "P007.csv")).equals(pattern(1000, 8))).toBe(true);
  });

  it("a tampered 33 MiB bundle to --out -: nothing on stdout, exit 1", () => {
    const dir = folder({ "big.enc": bigTampered });
    for (const engine of ["auto", "wasm"]) {
      const r = bin(["decrypt", "big.enc", "--privkey", lab.priv, "--out", "-", "--engine", engine], dir);
      expect(r.status, engine).toBe(1);
      expect(r.stdout.length, engine).toBe(0);
      expect(r.stderr.toString()).toMatch(/^opensslwrap: the bundle was altered or corrupted/);
    }
    expect(fs.readdirSync(dir)).toEqual(["big.enc"]);
  }, 120_000);

  it("usage errors: '-' without --out, --out - for encrypt, --json with --out -, stdin twice", () => {
    const dir = folder();
    const cases: [string[], RegExp][] = [
      [["encrypt", "-", "--pubkey", lab.pub], /needs --out BUNDLE/],
      [["encrypt", "x", "--out", "-", "--pubkey", lab.pub], /cannot write the bundle to standard output/],
      [["decrypt", "x.enc", "--out", "-", "--json", "--privkey", lab.priv], /--json and --out - would both write to standard output/],
      [["decrypt", "-", "-", "--privkey", lab.priv], /standard input \('-'\) can be read only once/],
    ];
    for (const [args, re] of cases) {
      const r = bin(args, dir, new Uint8Array(0));
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr.toString()).toMatch(re);
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("--help documents '-' for encrypt and decrypt", () => {
    expect(cli(["encrypt", "--help"], tmp).stdout.toString()).toMatch(/encrypt - --out BUNDLE/);
    const help = cli(["decrypt", "--help"], tmp).stdout.toString();
    expect(help).toMatch(/BUNDLE '-' reads the bundle from standard input/);
    expect(help).toMatch(/'--out -' writes the plaintext to standard output, only after the bundle's tag has been checked/);
  });
});
