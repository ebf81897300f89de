/**
 * Crashes: the CLI is SIGKILLed during `encrypt` (without --keep), `decrypt` and `rotate`, at
 * points spread over a run's measured duration, and (where strace is installed) exactly at each
 * fsync / link / rename / unlink of the commit sequence. After every kill:
 *  - no data is lost: the original is intact, or the bundle is complete and decrypts to it;
 *  - nothing half-written carries a final name (FILE.enc, the decrypted FILE, the rotated bundle);
 *  - a file still carrying the original's name is intact (never half overwritten with zeros);
 *  - temp files `.NAME.tmp-*` may remain (HARDENING_VERBOSE=1 prints how many): the re-run
 *    removes them (their owner is dead; src/runtime/node/leftovers.ts) and says so in one line;
 *  - re-running the command succeeds (or, after a kill once the bundle was committed, is refused
 *    because FILE.enc exists: the work was done).
 * Default: encrypt a 48 MB file (3 timed kill points), decrypt and rotate a 12 MB one (4 each);
 * the exact-step kills use a 4 MB file. HARDENING_FULL=1: 48 MB and 20 points per verb.
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptBytes } from "../../src/index.js";
import { CLI } from "../helpers/cli.js";
import { hostKey, type TestKey } from "../helpers/keys.js";
import { FULL, scratch, sha, sleep, spawnCli } from "./util.js";

const root = scratch("crash");
const SIZES = { encrypt: 48 << 20, decrypt: FULL ? 48 << 20 : 12 << 20, rotate: FULL ? 48 << 20 : 12 << 20, exact: 4 << 20 };
const POINTS = { encrypt: FULL ? 20 : 3, decrypt: FULL ? 20 : 4, rotate: FULL ? 20 : 4 };
let lab: TestKey;
let next: TestKey;
const leftovers: Record<string, number> = {};

/** An original of `size` random bytes and its bundle for lab (made by the CLI), per size. */
interface Data {
  original: Uint8Array;
  originalSha: string;
  bundle: Uint8Array;
}
const data = new Map<number, Data>();

beforeAll(() => {
  lab = hostKey(root.dir, "lab");
  next = hostKey(root.dir, "next");
  for (const size of new Set(Object.values(SIZES))) {
    const original = new Uint8Array(crypto.randomBytes(size));
    const dir = path.join(root.dir, `seed-${size}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "data.bin"), original);
    const r = spawnSync(process.execPath, [CLI, "encrypt", "data.bin", "--pubkey", lab.pub, "--keep"], { cwd: dir });
    expect(r.status, r.stderr.toString()).toBe(0);
    data.set(size, { original, originalSha: sha(original), bundle: fs.readFileSync(path.join(dir, "data.bin.enc")) });
  }
});
afterAll(() => {
  if (process.env["HARDENING_VERBOSE"] === "1") console.log("temp files left by kills:", leftovers);
  root.done();
});

let n = 0;
function fresh(files: Record<string, Uint8Array>): string {
  const dir = path.join(root.dir, `k${n++}`);
  fs.mkdirSync(dir);
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
  return dir;
}

async function plaintextOf(file: string, key: TestKey): Promise<string | undefined> {
  try {
    return sha((await decryptBytes(fs.readFileSync(file), { privateKey: { key: key.privPem } })).plaintext);
  } catch {
    return undefined;
  }
}

function temps(dir: string, final: string): string[] {
  return fs.readdirSync(dir).filter((x) => x.startsWith(`.${final}.tmp-`));
}

function countLeftovers(verb: string, dir: string, final: string): void {
  leftovers[verb] = (leftovers[verb] ?? 0) + temps(dir, final).length;
}

/** Runs the CLI; when the folder held leftovers of the killed run, the run removes them all and says so in one line. */
function run(args: string[], dir: string) {
  const left = fs.readdirSync(dir).filter((x) => /\.(tmp|wipe)-/.test(x));
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: "utf8" });
  expect(fs.readdirSync(dir).filter((x) => left.includes(x)), `leftovers after a re-run: ${r.stderr}`).toEqual([]);
  const said = r.stderr.split("\n").filter((l) => l.includes("left in . by an interrupted opensslwrap run"));
  expect(said, r.stderr).toHaveLength(left.length > 0 ? 1 : 0);
  return r;
}

// --- the invariants after a kill, and the re-run ------------------------------------------------

async function afterEncryptKill(d: Data, dir: string, what: string): Promise<void> {
  const { originalSha } = d;
  const names = fs.readdirSync(dir);
  expect(names.filter((x) => x !== "data.bin" && x !== "data.bin.enc" && !x.startsWith(".data.bin.enc.tmp-")), what).toEqual([]);
  const hasOriginal = names.includes("data.bin");
  const hasBundle = names.includes("data.bin.enc");
  expect(hasOriginal || hasBundle, `${what}: data lost`).toBe(true);
  // Whatever carries the original's name is the original, byte for byte (never half zeroed).
  if (hasOriginal) expect(sha(fs.readFileSync(path.join(dir, "data.bin"))), `${what}: original damaged`).toBe(originalSha);
  // Whatever carries the bundle's name is complete and decrypts to the original.
  if (hasBundle) expect(await plaintextOf(path.join(dir, "data.bin.enc"), lab), `${what}: bundle incomplete`).toBe(originalSha);
  countLeftovers("encrypt", dir, "data.bin.enc");
  const again = run(["encrypt", "data.bin", "--pubkey", lab.pub], dir);
  if (!hasBundle) {
    expect(again.status, `${what}: re-run: ${again.stderr}`).toBe(0);
    expect(fs.existsSync(path.join(dir, "data.bin"))).toBe(false);
    expect(await plaintextOf(path.join(dir, "data.bin.enc"), lab)).toBe(originalSha);
  } else if (hasOriginal) {
    // Killed after the commit, before the original was removed: the re-run refuses (FILE.enc exists).
    expect(again.status, what).toBe(1);
    expect(again.stderr, what).toMatch(/data\.bin\.enc exists/);
  } else expect(again.status, what).toBe(1); // nothing left to encrypt
}

async function afterDecryptKill(d: Data, dir: string, what: string): Promise<void> {
  const { originalSha, bundle } = d;
  expect(sha(fs.readFileSync(path.join(dir, "data.bin.enc"))), `${what}: bundle changed`).toBe(sha(bundle));
  const names = fs.readdirSync(dir);
  expect(names.filter((x) => x !== "data.bin" && x !== "data.bin.enc" && !x.startsWith(".data.bin.tmp-")), what).toEqual([]);
  if (names.includes("data.bin")) expect(sha(fs.readFileSync(path.join(dir, "data.bin"))), `${what}: half-written output`).toBe(originalSha);
  countLeftovers("decrypt", dir, "data.bin");
  const again = run(["decrypt", "data.bin.enc", "--privkey", lab.priv, "--force"], dir);
  expect(again.status, `${what}: re-run: ${again.stderr}`).toBe(0);
  expect(sha(fs.readFileSync(path.join(dir, "data.bin")))).toBe(originalSha);
}

async function afterRotateKill(d: Data, dir: string, what: string): Promise<void> {
  const { originalSha, bundle } = d;
  const names = fs.readdirSync(dir);
  expect(names.filter((x) => x !== "data.bin.enc" && !x.startsWith(".data.bin.enc.tmp-")), what).toEqual([]);
  // The bundle is the old one or the new one, whole: lab opens both, next only the new one.
  const file = path.join(dir, "data.bin.enc");
  expect(await plaintextOf(file, lab), `${what}: bundle damaged`).toBe(originalSha);
  const rotated = (await plaintextOf(file, next)) === originalSha;
  if (!rotated) expect(Buffer.compare(fs.readFileSync(file), bundle), what).toBe(0);
  countLeftovers("rotate", dir, "data.bin.enc");
  const again = run(["rotate", "data.bin.enc", "--privkey", lab.priv, "--pubkey", lab.pub, "--pubkey", next.pub], dir);
  expect(again.status, `${what}: re-run: ${again.stderr}`).toBe(0);
  expect(await plaintextOf(file, next)).toBe(originalSha);
}

interface Verb {
  name: "encrypt" | "decrypt" | "rotate";
  setup: (d: Data) => Record<string, Uint8Array>;
  args: string[];
  check: (d: Data, dir: string, what: string) => Promise<void>;
}

const verbs = (): Verb[] => [
  { name: "encrypt", setup: (d) => ({ "data.bin": d.original }), args: ["encrypt", "data.bin", "--pubkey", lab.pub], check: afterEncryptKill },
  { name: "decrypt", setup: (d) => ({ "data.bin.enc": d.bundle }), args: ["decrypt", "data.bin.enc", "--privkey", lab.priv], check: afterDecryptKill },
  { name: "rotate", setup: (d) => ({ "data.bin.enc": d.bundle }), args: ["rotate", "data.bin.enc", "--privkey", lab.priv, "--pubkey", lab.pub, "--pubkey", next.pub], check: afterRotateKill },
];

function dataOf(size: number): Data {
  const d = data.get(size);
  if (d === undefined) throw new Error(`no data of ${size} bytes`);
  return d;
}

describe("SIGKILL at points spread over the run", () => {
  for (const name of ["encrypt", "decrypt", "rotate"] as const) {
    it(`${name}: ${POINTS[name]} kill points over a ${SIZES[name] >> 20} MB run, then re-run`, async () => {
      const verb = verbs().find((v) => v.name === name);
      if (verb === undefined) throw new Error(name);
      const d = dataOf(SIZES[name]);
      const points = POINTS[name];
      // Measure one whole run first.
      const dir0 = fresh(verb.setup(d));
      const t0 = performance.now();
      const whole = run(verb.args, dir0);
      const duration = performance.now() - t0;
      expect(whole.status, whole.stderr).toBe(0);
      let killed = 0;
      for (let i = 0; i < points; i++) {
        const dir = fresh(verb.setup(d));
        // Spread over the run, with a deterministic jitter of up to a tenth of a step.
        const delay = (duration * (i + 0.5 + 0.1 * Math.sin(i * 12.9898))) / points;
        const { child, done } = spawnCli(verb.args, dir);
        await sleep(delay);
        if (child.exitCode === null) child.kill("SIGKILL");
        const r = await done;
        if (r.signal === "SIGKILL") killed++;
        await verb.check(d, dir, `${name} killed after ${Math.round(delay)} of ${Math.round(duration)} ms`);
      }
      // Most points fall inside the run (the last ones may find it finished).
      expect(killed).toBeGreaterThanOrEqual(Math.floor(points / 2));
    }, 300_000);
  }
});

const hasStrace = spawnSync("strace", ["-V"]).status === 0;

describe.skipIf(!hasStrace)("SIGKILL exactly at each step of the commit sequence (strace fault injection)", () => {
  // The sequence (see src/runtime/node/files.ts): temp written, fsync(temp), link or rename to the
  // final name, unlink(temp), fsync(folder); for encrypt then unlink(original), fsync(folder),
  // zeros written, fsync(original fd).
  // Every step with HARDENING_FULL=1; by default one kill per distinct state left on disk.
  const points: Record<string, [string, number][]> = FULL
    ? {
        encrypt: [["fsync", 1], ["link", 1], ["unlink", 1], ["fsync", 2], ["unlink", 2], ["fsync", 3], ["fsync", 4]],
        decrypt: [["fsync", 1], ["link", 1], ["unlink", 1], ["fsync", 2]],
        rotate: [["fsync", 1], ["rename", 1], ["fsync", 2]],
      }
    : {
        encrypt: [["fsync", 1], ["link", 1], ["unlink", 1], ["unlink", 2], ["fsync", 4]],
        decrypt: [["fsync", 1], ["link", 1], ["unlink", 1]],
        rotate: [["fsync", 1], ["rename", 1]],
      };
  for (const [name, list] of Object.entries(points)) {
    it(`${name}: killed at ${list.map(([s, w]) => `${s}#${w}`).join(", ")}`, async () => {
      const verb = verbs().find((v) => v.name === name);
      if (verb === undefined) throw new Error(name);
      const d = dataOf(SIZES.exact);
      for (const [syscall, when] of list) {
        const dir = fresh(verb.setup(d));
        // strace counts each thread's calls apart, and the fsyncs run on libuv's thread pool: with
        // one pool thread they are all counted in the order of the sequence.
        const r = spawnSync("strace", ["-f", "-qq", "-o", "/dev/null", "-e", `trace=${syscall}`, "-e", `inject=${syscall}:signal=KILL:when=${when}`, process.execPath, CLI, ...verb.args], {
          cwd: dir,
          encoding: "utf8",
          env: { ...process.env, UV_THREADPOOL_SIZE: "1" },
        });
        // strace dies of the tracee's signal (or exits 128 + 9): a run that ends normally never got there.
        expect(r.signal === "SIGKILL" || r.status === 137, `${name} ${syscall}#${when} was not reached: ${r.stderr}`).toBe(true);
        await verb.check(d, dir, `${name} killed at ${syscall}#${when}`);
      }
    }, 300_000);
  }
});
