import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./helpers/cli.js";
import { hostKey, type TestKey } from "./helpers/keys.js";
import { lineFile, names } from "./helpers/watch.js";

/** `watch` on a full disk (an 8 MiB tmpfs mounted for the test: needs root, skipped otherwise): reported, and the watcher goes on. */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-watch-disk-"));
const mnt = path.join(tmp, "mnt");
fs.mkdirSync(mnt);

function mount(): string | undefined {
  if (process.getuid?.() !== 0) return "not root";
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m,mode=0755", "tmpfs", mnt], { stdio: "pipe" });
    return undefined;
  } catch (e) {
    return `mount -t tmpfs failed: ${(e as { stderr?: Buffer }).stderr?.toString().trim() ?? String(e)}`;
  }
}
const whyNot = mount();
if (whyNot !== undefined) console.warn(`watch disk-full test skipped: cannot mount a tmpfs (${whyNot})`);

let lab: TestKey;
beforeAll(() => {
  lab = hostKey(tmp, "lab");
});
afterAll(() => {
  if (whyNot === undefined && spawnSync("umount", [mnt]).status !== 0) spawnSync("umount", ["-l", mnt]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(whyNot !== undefined)("watch on a full disk", () => {
  it("reports the file whose bundle does not fit, keeps it whole, and encrypts the next one", () => {
    const big = crypto.randomBytes(5 << 20);
    fs.writeFileSync(path.join(mnt, "a-big.edf"), big);
    fs.writeFileSync(path.join(mnt, "b-small.csv"), "fits\n");
    const r = cli(["watch", mnt, "--pubkey", lab.pub, "--once", "--settle", "0.2"], tmp);
    expect(r.status).toBe(1);
    const failures = r.stderr.split("\n").filter((l) => l.includes("a-big.edf"));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/no space left on device/i);
    expect(r.stdout.toString().trim().split("\n").map(lineFile)).toEqual([path.join(mnt, "b-small.csv")]);
    expect(names(mnt)).toEqual(["a-big.edf", "b-small.csv.enc"]); // no temp file, no claim
    expect(fs.readFileSync(path.join(mnt, "a-big.edf")).equals(big)).toBe(true);
  });
});
