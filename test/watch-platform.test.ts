import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { onNetworkFolder, writeOpenCheck } from "../src/cli/watch-platform.js";
import { patternTest } from "../src/cli/watch-walk.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-watch-os-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("watch's platform adapter", () => {
  it.runIf(process.platform === "linux")("on Linux, tells a file open for writing (write-only or read-write) from one open for reading or closed", () => {
    const check = writeOpenCheck;
    if (check === undefined) throw new Error("Linux without /proc/self/fdinfo");
    const [appended, updated, read, closed] = ["a", "b", "c", "d"].map((name) => {
      const p = path.join(tmp, name);
      fs.writeFileSync(p, "x");
      return p;
    }) as [string, string, string, string];
    const fds = [fs.openSync(appended, "a"), fs.openSync(updated, "r+"), fs.openSync(read, "r")];
    fs.closeSync(fs.openSync(closed, "w"));
    try {
      expect([...check([appended, updated, read, closed, path.join(tmp, "missing")])].sort()).toEqual([appended, updated]);
    } finally {
      for (const fd of fds) fs.closeSync(fd);
    }
    expect(check([appended, updated])).toEqual(new Set());
  });

  it("a local temp folder is not a network folder", () => {
    expect(onNetworkFolder(tmp)).toBe(false);
  });
});

describe("watch --pattern", () => {
  it("tests names without a slash, paths part by part with one (** for any number of folders), case-insensitively", () => {
    const csv = patternTest("*.csv");
    expect(["a.csv", "A2.CSV", "sub/b.csv", "deep/er/c.Csv"].every(csv)).toBe(true);
    expect(["a.csv.part", "notes.txt", ".hidden.csv"].some(csv)).toBe(false);
    const edf = patternTest("P*/**/*.edf");
    expect(["P01/x.edf", "p02/s1/run/y.EDF"].every(edf)).toBe(true);
    expect(["x.edf", "Q01/x.edf", "P01/x.edf.enc"].some(edf)).toBe(false);
    expect(patternTest("sub/data.csv")("SUB/Data.csv")).toBe(true);
    expect(patternTest("run?_[0-9].csv")("run1_7.csv")).toBe(true);
    expect(patternTest("run?_[0-9].csv")("run1_x.csv")).toBe(false);
  });
});
