import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI } from "./helpers/cli.js";
import { pattern } from "./helpers/data.js";
import { hostKey, type TestKey } from "./helpers/keys.js";

/**
 * Outputs go to the disk while they are written (an fdatasync every 64 MiB, src/runtime/node/files.ts),
 * so the fsync before the rename has little left to wait for. A failure of one of those background
 * write-backs must fail the run like a failed fsync: nothing written, the original kept.
 */

const hasStrace = spawnSync("strace", ["-V"]).status === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-writeback-"));
let k: TestKey;
const data = pattern(150 << 20, 11);
beforeAll(() => {
  k = hostKey(tmp, "k");
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function traced(dir: string, fault: string[], ...args: string[]) {
  return spawnSync("strace", ["-f", "-qq", "-o", path.join(tmp, "trace.txt"), "-e", "trace=fdatasync", ...fault, process.execPath, CLI, ...args], { cwd: dir, encoding: "utf8" });
}

describe.skipIf(!hasStrace)("background write-back", () => {
  it("a 150 MiB encrypt and decrypt write their outputs back while writing", () => {
    const dir = fs.mkdtempSync(path.join(tmp, "ok-"));
    fs.writeFileSync(path.join(dir, "rec.bin"), data);
    const enc = traced(dir, [], "encrypt", "rec.bin", "--pubkey", k.pub);
    expect(enc.status, enc.stderr).toBe(0);
    expect(fs.readFileSync(path.join(tmp, "trace.txt"), "utf8").match(/fdatasync\(/g)?.length).toBeGreaterThanOrEqual(2);
    const dec = traced(dir, [], "decrypt", "rec.bin.enc", "--privkey", k.priv);
    expect(dec.status, dec.stderr).toBe(0);
    expect(fs.readFileSync(path.join(tmp, "trace.txt"), "utf8").match(/fdatasync\(/g)?.length).toBeGreaterThanOrEqual(2);
    expect(Buffer.compare(fs.readFileSync(path.join(dir, "rec.bin")), Buffer.from(data))).toBe(0);
  });

  it("a write-back that fails (EIO injected) fails the run: one line, original kept, no bundle, no temp file", () => {
    const dir = fs.mkdtempSync(path.join(tmp, "eio-"));
    fs.writeFileSync(path.join(dir, "rec.bin"), data);
    const r = traced(dir, ["-e", "inject=fdatasync:error=EIO:when=1"], "encrypt", "rec.bin", "--pubkey", k.pub);
    expect(r.status).toBe(1);
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("opensslwrap:") && !l.includes("warning"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^opensslwrap: rec\.bin\.enc could not be written \(EIO: i\/o error, fdatasync\); nothing was written$/);
    expect(fs.readdirSync(dir)).toEqual(["rec.bin"]);
    expect(Buffer.compare(fs.readFileSync(path.join(dir, "rec.bin")), Buffer.from(data))).toBe(0);
  });
});

describe.skipIf(!hasStrace)("a write or fsync that fails", () => {
  it("names the output and the cause, the same way on both engines (the wasm engine alone says 'error writing output file')", () => {
    for (const [engine, syscall] of [["auto", "pwrite64"], ["wasm", "pwrite64"], ["auto", "fsync"], ["wasm", "fsync"]] as const) {
      const dir = fs.mkdtempSync(path.join(tmp, `eio-${syscall}-${engine}-`));
      fs.writeFileSync(path.join(dir, "rec.bin"), data.subarray(0, 3 << 20));
      const when = syscall === "pwrite64" ? 2 : 1;
      const r = spawnSync("strace", ["-f", "-qq", "-o", "/dev/null", "-e", `trace=${syscall}`, "-e", `inject=${syscall}:error=EIO:when=${when}`, process.execPath, CLI, "encrypt", "rec.bin", "--pubkey", k.pub, "--engine", engine], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, UV_THREADPOOL_SIZE: "1" }, // strace counts each thread's calls apart
      });
      const what = `${engine} ${syscall}`;
      expect(r.status, what).toBe(1);
      const lines = r.stderr.split("\n").filter((l) => l.startsWith("opensslwrap:") && !l.includes("warning"));
      expect(lines, what).toEqual([`opensslwrap: rec.bin.enc could not be written (EIO: i/o error, ${syscall === "pwrite64" ? "write" : "fsync"}); nothing was written`]);
      expect(fs.readdirSync(dir), what).toEqual(["rec.bin"]);
    }
  });
});

describe("the fsync before the rename", () => {
  it("is skipped when a finished flush() already covered every write, and done when anything was written or truncated after it", async () => {
    const { createTemp } = await import("../src/runtime/node/files.js");
    const temp = createTemp(path.join(tmp, "durable.bin"));
    const f = temp.storage;
    let syncs = 0;
    const sync = f.sync.bind(f);
    f.sync = () => {
      syncs++;
      sync();
    };
    try {
      f.write(new Uint8Array(10), 0);
      await f.flush();
      await f.durable();
      expect(syncs).toBe(0);
      f.write(new Uint8Array(10), 10);
      await f.durable();
      expect(syncs).toBe(1);
      const flushing = f.flush();
      f.write(new Uint8Array(1), 20); // during the flush: not covered by it
      await flushing;
      await f.durable();
      expect(syncs).toBe(2);
      await f.flush();
      f.truncate(5);
      await f.durable();
      expect(syncs).toBe(3);
    } finally {
      f.close();
      fs.rmSync(temp.path);
    }
  });
});
