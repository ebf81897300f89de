/**
 * Windows and macOS filesystem semantics on this Linux machine, through the Node adapter's disk
 * seam (src/runtime/node-disk.ts): each call fails the way a platform or filesystem makes it
 * fail, and the verbs still succeed and lose nothing, or refuse in one line and lose nothing.
 * test/cli-fs-shim.test.ts does the same to the real CLI with the real syscalls failing.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decrypt, encrypt, FileBusyError, FileExistsError, generateKeys, rotate } from "../src/index.js";
import { useDisk } from "../src/runtime/node/disk.js";
import { pattern, utf8 } from "./helpers/data.js";
import { faultyDisk, type Faults, type FaultyDisk } from "./helpers/faulty-disk.js";
import { hostKey, type TestKey } from "./helpers/keys.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-platform-disk-"));
let lab: TestKey;
beforeAll(() => {
  lab = hostKey(tmp, "lab", 3072);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(() => useDisk(undefined));

let n = 0;
function folder(files: Record<string, Uint8Array> = {}): string {
  const dir = path.join(tmp, `d${n++}`);
  fs.mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

function faulty(f: Faults): FaultyDisk {
  const d = faultyDisk(f);
  useDisk(d);
  return d;
}

const data = pattern(40_000);
const other = pattern(3_000, 7);
const key = () => ({ key: lab.privPem });
const read = (p: string) => new Uint8Array(fs.readFileSync(p));
const names = (dir: string) => fs.readdirSync(dir).sort();

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a refusal");
}

describe("a refused hard link: an exclusive rename instead, whatever the errno", () => {
  for (const code of ["EISDIR", "EINVAL", "EPERM", "ENOTSUP"]) {
    it(`link -> ${code}: encrypt, decrypt, genkeys succeed; an existing output is never replaced`, async () => {
      const disk = faulty({ link: code });
      const dir = folder({ "d.csv": data });
      const file = path.join(dir, "d.csv");
      const { bundle } = await encrypt(file, { publicKeys: [lab.pubPem] });
      expect(names(dir)).toEqual(["d.csv.enc"]);
      const { output } = await decrypt(bundle, { privateKey: key() });
      expect(read(output)).toEqual(data);
      // Without --force the output that now exists is refused, and kept as it is.
      fs.writeFileSync(file, other);
      expect(await rejection(decrypt(bundle, { privateKey: key() }))).toBeInstanceOf(FileExistsError);
      expect(read(file)).toEqual(other);
      const keys = await generateKeys({ outDir: path.join(dir, "keys"), name: "k", bits: 2048 });
      expect(fs.readFileSync(keys.privatePath, "latin1")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(fs.readFileSync(keys.publicPath, "latin1")).toMatch(/^-----BEGIN PUBLIC KEY-----/);
      expect(names(dir)).toEqual(["d.csv", "d.csv.enc", "keys"]);
      expect(disk.injected.filter((l) => l.startsWith(`link ${code}`))).toHaveLength(4);
    });
  }

  it("a file that appears under the final name while the link fails is not replaced", async () => {
    const dir = folder({ "d.csv": data });
    const intruder = utf8("written by another program meanwhile");
    faulty({ link: "EISDIR", duringLink: (p) => fs.writeFileSync(p, intruder) });
    expect(await rejection(encrypt(path.join(dir, "d.csv"), { publicKeys: [lab.pubPem] }))).toBeInstanceOf(FileExistsError);
    expect(read(path.join(dir, "d.csv.enc"))).toEqual(intruder);
    expect(read(path.join(dir, "d.csv"))).toEqual(data);
    expect(names(dir)).toEqual(["d.csv", "d.csv.enc"]);
  });

  it("if the rename onto the reserved name stays refused, the empty reservation is removed again", async () => {
    const dir = folder({ "d.csv": data });
    faulty({ link: "EINVAL", renameOntoExisting: { code: "EBUSY", times: Infinity }, busyWaitMs: 100 });
    expect(await rejection(encrypt(path.join(dir, "d.csv"), { publicKeys: [lab.pubPem] }))).toBeInstanceOf(FileBusyError);
    expect(names(dir)).toEqual(["d.csv"]);
    expect(read(path.join(dir, "d.csv"))).toEqual(data);
  });
});

describe("a target held by another program (rename onto it: EPERM / EBUSY)", () => {
  for (const code of ["EPERM", "EBUSY"]) {
    it(`${code} twice: rotate and decrypt --force wait and succeed`, async () => {
      const dir = folder({ "d.csv": data });
      const { bundle } = await encrypt(path.join(dir, "d.csv"), { publicKeys: [lab.pubPem], keep: true });
      const disk = faulty({ renameOntoExisting: { code, times: 2 } });
      await rotate(bundle, key(), { publicKeys: [lab.pubPem] });
      fs.writeFileSync(path.join(dir, "d.csv"), other);
      const { output } = await decrypt(bundle, { privateKey: key(), force: true });
      expect(read(output)).toEqual(data);
      expect(names(dir)).toEqual(["d.csv", "d.csv.enc"]);
      expect(disk.injected).toHaveLength(4);
    });
  }

  it("held for longer than the wait: one line naming the file and the other program; nothing replaced", async () => {
    const dir = folder({ "d.csv": data });
    const { bundle } = await encrypt(path.join(dir, "d.csv"), { publicKeys: [lab.pubPem], keep: true });
    const before = read(bundle);
    faulty({ renameOntoExisting: { code: "EBUSY", times: Infinity }, busyWaitMs: 300 });
    const started = Date.now();
    const e = await rejection(rotate(bundle, key(), { publicKeys: [lab.pubPem] }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(e).toBeInstanceOf(FileBusyError);
    expect(e.message).toBe(
      `${bundle} is held by another program (open in a spreadsheet or an editor, or being scanned by antivirus or a sync client): could not replace it for 0.3 s (EBUSY); close that program and try again`,
    );
    expect(await rejection(decrypt(bundle, { privateKey: key(), force: true }))).toBeInstanceOf(FileBusyError);
    expect(read(bundle)).toEqual(before);
    expect(read(path.join(dir, "d.csv"))).toEqual(data);
    expect(names(dir)).toEqual(["d.csv", "d.csv.enc"]);
  });

  it("a refusal that is not about a held file (ENOSPC) is not retried", async () => {
    const dir = folder({ "d.csv": data });
    const { bundle } = await encrypt(path.join(dir, "d.csv"), { publicKeys: [lab.pubPem], keep: true });
    const disk = faulty({ renameOntoExisting: { code: "ENOSPC", times: Infinity } });
    expect((await rejection(rotate(bundle, key(), { publicKeys: [lab.pubPem] }))).message).toMatch(/^ENOSPC/);
    expect(disk.injected).toHaveLength(1);
  });
});

describe("a temp name that cannot be removed after the link", () => {
  it("does not fail a run whose output exists: a warning names it", async () => {
    const dir = folder({ "d.csv": data });
    faulty({ unlink: { match: /\.tmp-/, code: "EBUSY", times: Infinity }, busyWaitMs: 100 });
    const r = await encrypt(path.join(dir, "d.csv"), { publicKeys: [lab.pubPem], keep: true });
    expect(r.warnings).toEqual([expect.stringMatching(/^.*\.d\.csv\.enc\.tmp-[0-9a-z-]+ \(a second name of .*d\.csv\.enc\) could not be removed \(EBUSY, held by another program\); remove it by hand$/)]);
    const warnings: string[] = [];
    const { output } = await decrypt(r.bundle, { privateKey: key(), out: path.join(dir, "copy.csv"), onWarning: (m) => warnings.push(m) });
    expect(read(output)).toEqual(data);
    expect(warnings).toEqual([expect.stringMatching(/\.copy\.csv\.tmp-[0-9a-z-]+ \(a second name of .*copy\.csv\) could not be removed/)]);
  });

  it("is removed when it lets go within the wait", async () => {
    const dir = folder({ "d.csv": data });
    faulty({ unlink: { match: /\.tmp-/, code: "EPERM", times: 3 } });
    const r = await encrypt(path.join(dir, "d.csv"), { publicKeys: [lab.pubPem] });
    expect(r.warnings).toEqual([]);
    expect(names(dir)).toEqual(["d.csv.enc"]);
  });
});

describe("removing the original where an unlinked file keeps its name while open (Windows)", () => {
  /** Records, before each write, whether the file written to is still reachable under `p`. */
  function watchName(p: string): { underItsName: number; writes: number; beforeWrite: (fd: number) => void } {
    const seen = {
      underItsName: 0,
      writes: 0,
      beforeWrite(fd: number) {
        seen.writes++;
        const st = fs.fstatSync(fd);
        const named = fs.statSync(p, { throwIfNoEntry: false });
        if (named !== undefined && named.ino === st.ino && named.dev === st.dev) seen.underItsName++;
      },
    };
    return seen;
  }

  it("win32 order: moved aside, overwritten, closed, then deleted: no zero lands under the original's name", async () => {
    const dir = folder({ "d.csv": data });
    const file = path.join(dir, "d.csv");
    const seen = watchName(file);
    faulty({ platform: "win32", unlinkOpenKeepsName: true, beforeWrite: seen.beforeWrite });
    const r = await encrypt(file, { publicKeys: [lab.pubPem] });
    expect(r.warnings).toEqual([]);
    expect(seen.writes).toBeGreaterThan(0);
    expect(seen.underItsName).toBe(0);
    expect(names(dir)).toEqual(["d.csv.enc"]);
    expect(read((await decrypt(r.bundle, { privateKey: key() })).output)).toEqual(data);
  });

  it("(control) the POSIX order there would zero the original under its own name", async () => {
    const dir = folder({ "d.csv": data });
    const file = path.join(dir, "d.csv");
    const seen = watchName(file);
    faulty({ platform: "linux", unlinkOpenKeepsName: true, beforeWrite: seen.beforeWrite });
    await encrypt(file, { publicKeys: [lab.pubPem] });
    expect(seen.underItsName).toBe(seen.writes);
    expect(seen.writes).toBeGreaterThan(0);
  });

  it("an original held by another program: the bundle is kept and the original untouched, in one line", async () => {
    const dir = folder({ "d.csv": data });
    const file = path.join(dir, "d.csv");
    faulty({ platform: "win32", renameFrom: { path: file, code: "EBUSY", times: Infinity }, busyWaitMs: 100 });
    const e = await rejection(encrypt(file, { publicKeys: [lab.pubPem] }));
    expect(e.message).toMatch(/^.*d\.csv\.enc was written and verified, but .*d\.csv could not be removed: .*d\.csv is held by another program .*\(EBUSY\)/);
    expect(e.message).not.toContain("\n");
    expect(read(file)).toEqual(data);
    expect(names(dir)).toEqual(["d.csv", "d.csv.enc"]);
  });

  it("an original held for a moment is moved aside once it is free", async () => {
    const dir = folder({ "d.csv": data });
    const file = path.join(dir, "d.csv");
    faulty({ platform: "win32", renameFrom: { path: file, code: "EPERM", times: 2 } });
    const r = await encrypt(file, { publicKeys: [lab.pubPem] });
    expect(r.warnings).toEqual([]);
    expect(names(dir)).toEqual(["d.csv.enc"]);
  });
});

describe("folders that cannot be fsynced, modes that mean nothing", () => {
  it("every verb works with fsync of a folder refused (EPERM) and chmod ignored", async () => {
    const disk = faulty({ dirFsync: "EPERM", chmodIgnored: true });
    const dir = folder({ "d.csv": data });
    const { bundle } = await encrypt(path.join(dir, "d.csv"), { publicKeys: [lab.pubPem] });
    await rotate(bundle, key(), { publicKeys: [lab.pubPem] });
    const { output } = await decrypt(bundle, { privateKey: key() });
    expect(read(output)).toEqual(data);
    await decrypt(bundle, { privateKey: key(), force: true });
    await generateKeys({ outDir: path.join(dir, "keys"), bits: 2048 });
    expect(names(dir)).toEqual(["d.csv", "d.csv.enc", "keys"]);
    expect(disk.injected.filter((l) => l.startsWith("fsync EPERM")).length).toBeGreaterThanOrEqual(5);
  });
});
