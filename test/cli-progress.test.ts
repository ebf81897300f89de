/**
 * Progress of `encrypt FILE...` and `decrypt BUNDLE...` on a terminal (a pseudo-terminal from
 * util-linux `script`), and none at all with --json or with stderr redirected. The files run with
 * --engine wasm, the slower engine, so that a few MiB stay in flight long enough to be drawn.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pattern } from "./helpers/data.js";
import { hostKey, type TestKey } from "./helpers/keys.js";
import { onTerminal, screen } from "./helpers/terminal.js";

const MiB = 1 << 20;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-cli-progress-"));
let key: TestKey;
beforeAll(() => {
  key = hostKey(tmp, "lab"); // 2048 bits: each run also prints a warning through the bars
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const WARNING = /^opensslwrap: warning: RSA key [0-9a-f]+\.\.\. has 2048 bits; 3072 or more is recommended$/;
// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b\[[0-9;?]*[A-Za-z]/g;
/** Every line ever drawn: the output with each escape sequence a line break. */
const frames = (output: string) => output.replace(ESCAPE, "\n").replaceAll("\r", "\n");
/** A bar labelled `label` (a regex source) with bytes, rate and ETA. */
const bar = (label: string, eta = "\\S+") => new RegExp(`^${label} +\\[[=-]+\\] +\\d+% [\\d.]+/[\\d.]+ MB [\\d.]+ MB/s ETA ${eta}$`, "m");

let n = 0;
function work(files: Record<string, Uint8Array | string>): string {
  const dir = path.join(tmp, `p${n++}`);
  fs.mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

const bigFiles = (names: string[], size: number) => Object.fromEntries(names.map((name, i) => [name, pattern(size, i + 1)]));

describe("progress on a terminal", () => {
  it("encrypt and decrypt of several files: total and per-file bars, then only the results", () => {
    const names = ["big1.bin", "big2.bin", "big3.bin"];
    const dir = work(bigFiles(names, 8 * MiB));
    const enc = onTerminal(["encrypt", ...names, "--pubkey", key.pub, "--engine", "wasm"], dir);
    expect(enc.status, enc.output).toBe(0);
    expect(frames(enc.output)).toMatch(bar("encrypting [0-3]/3 files", "\\d\\S*"));
    expect(frames(enc.output)).toMatch(bar(" {2}big\\d\\.bin"));
    const [warning, ...printed] = screen(enc.output);
    expect(warning).toMatch(WARNING);
    expect(printed).toEqual(names.map((f) => `${f}.enc`));

    const dec = onTerminal(["decrypt", ...names.map((f) => `${f}.enc`), "--privkey", key.priv, "--engine", "wasm"], dir);
    expect(dec.status, dec.output).toBe(0);
    expect(frames(dec.output)).toMatch(bar("decrypting [0-3]/3 files"));
    expect(frames(dec.output)).toMatch(bar(" {2}big\\d\\.bin\\.enc"));
    expect(screen(dec.output)).toEqual(names);
  });

  it("encrypt of a batch on worker threads: the workers' files get bars too", () => {
    const small = Array.from({ length: 14 }, (_, i) => `s${String(i).padStart(2, "0")}.txt`);
    const names = ["huge1.bin", ...small, "huge2.bin"];
    const dir = work({ ...bigFiles(["huge1.bin", "huge2.bin"], 16 * MiB), ...Object.fromEntries(small.map((f) => [f, `${f}\n`])) });
    const r = onTerminal(["encrypt", ...names, "--pubkey", key.pub, "--engine", "wasm"], dir);
    expect(r.status, r.output).toBe(0);
    expect(frames(r.output)).toMatch(bar("encrypting +\\d+/16 files", "\\d\\S*"));
    // Only the worker threads read these files: their bars need the workers' messages.
    expect(frames(r.output)).toMatch(bar(" {2}huge\\d\\.bin"));
    const [warning, ...printed] = screen(r.output);
    expect(warning).toMatch(WARNING);
    expect(printed).toEqual(names.map((f) => `${f}.enc`));
  });

  it("a single big file: one bar", () => {
    const dir = work(bigFiles(["one.bin"], 8 * MiB));
    const r = onTerminal(["encrypt", "one.bin", "--pubkey", key.pub, "--engine", "wasm"], dir);
    expect(r.status, r.output).toBe(0);
    expect(frames(r.output)).toMatch(bar("encrypting one\\.bin"));
    expect(frames(r.output)).not.toMatch(/files/);
    expect(screen(r.output).slice(1)).toEqual(["one.bin.enc"]);
  });
});

describe("no progress output", () => {
  const names = ["a.bin", "b.bin", "c.bin"];

  it("when stderr is not a terminal (stdout is): plain lines on both", () => {
    const dir = work(bigFiles(names, 5 * MiB));
    const err = path.join(dir, "stderr.txt");
    const r = onTerminal(["encrypt", ...names, "--pubkey", key.pub, "--engine", "wasm"], dir, err);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toBe(names.map((f) => `${f}.enc\r\n`).join(""));
    const stderr = fs.readFileSync(err, "utf8");
    expect(stderr).not.toContain("\x1b");
    expect(stderr.split("\n")).toEqual([expect.stringMatching(WARNING), ""]);
  });

  it("with --json, even on a terminal: the JSON alone", () => {
    const dir = work(bigFiles(names, 5 * MiB));
    const r = onTerminal(["encrypt", ...names, "--pubkey", key.pub, "--engine", "wasm", "--json"], dir);
    expect(r.status, r.output).toBe(0);
    expect(r.output).not.toContain("\x1b");
    // The warnings are in the JSON, not on stderr.
    const lines = r.output.replaceAll("\r\n", "\n").trim().split("\n");
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(names.map((f) => ({ path: f, ok: true, output: `${f}.enc`, kept: false, warnings: [expect.stringContaining("3072 or more")] })));
  });
});
