import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI } from "./helpers/cli.js";
import { hostKey, type TestKey } from "./helpers/keys.js";
import { decryptAll, lineFile, names } from "./helpers/watch.js";

/**
 * `watch --once` on the real syscall path with Windows' answers (test/helpers/fs-shim.c, as in
 * cli-fs-shim.test.ts): no hard links (a FAT or exFAT stick), renames onto a held file refused
 * twice, folders that cannot be fsynced, chmod ignored, and the CLI's win32 code paths (originals
 * moved aside before they are overwritten).
 */

const SOURCE = fileURLToPath(new URL("./helpers/fs-shim.c", import.meta.url));
const compiler = ["cc", "gcc"].find((c) => spawnSync(c, ["--version"]).status === 0);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-watch-shim-"));
const shim = path.join(tmp, "fs-shim.so");
let lab: TestKey;
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(compiler === undefined)("watch under Windows' filesystem answers (needs cc or gcc)", () => {
  beforeAll(() => {
    execFileSync(compiler ?? "cc", ["-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", shim, SOURCE, "-ldl"]);
    lab = hostKey(tmp, "lab");
  });

  for (const count of [3, 20]) {
    it(`${count} files on a FAT stick, as on Windows: each encrypted once, nothing left but the bundles`, () => {
      const dir = path.join(tmp, `fat${count}`);
      fs.mkdirSync(dir);
      const content = new Map(Array.from({ length: count }, (_, i) => [`r${i}.csv`, `run ${i}\n`.repeat(50 + i)]));
      for (const [name, text] of content) fs.writeFileSync(path.join(dir, name), text);
      const log = path.join(tmp, `log${count}`);
      const env = { ...process.env, LD_PRELOAD: shim, OSW_SHIM_LOG: log, UV_USE_IO_URING: "0", OSW_SHIM_LINK: "EISDIR", OSW_SHIM_RENAME: "EPERM:2", OSW_SHIM_DIR_FSYNC: "EPERM", OSW_SHIM_CHMOD: "ignore" };
      const win32 = ["--import", `data:text/javascript,Object.defineProperty(process,"platform",{value:"win32"})`];
      const r = spawnSync(process.execPath, [...win32, CLI, "watch", dir, "--pubkey", lab.pub, "--once", "--settle", "0.2"], { env, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain("on win32 whether a program still has a file open for writing cannot be told");
      expect(fs.readFileSync(log, "utf8")).toMatch(/^link EISDIR /m); // the shim was in the way
      expect(r.stdout.trim().split("\n").map(lineFile).sort()).toEqual([...content.keys()].map((n) => path.join(dir, n)).sort());
      expect(names(dir)).toEqual([...content.keys()].map((n) => `${n}.enc`).sort());
      const plain = decryptAll([path.join(dir, "r0.csv.enc"), path.join(dir, `r${count - 1}.csv.enc`)], lab.priv);
      expect(plain.get(path.join(dir, "r0.csv.enc"))?.toString()).toBe(content.get("r0.csv"));
      expect(plain.get(path.join(dir, `r${count - 1}.csv.enc`))?.toString()).toBe(content.get(`r${count - 1}.csv`));
    });
  }
});
