import { describe, expect, it } from "vitest";
import { UsageError } from "../src/cli/args.js";
import { expandPatterns, matcher, type FolderReader } from "../src/cli/glob.js";

/** A folder tree in memory: folder -> file names; `exists` knows the files and the folders. */
function folders(tree: Record<string, string[]>): FolderReader {
  const all = new Set(Object.entries(tree).flatMap(([dir, files]) => [dir, ...files.map((f) => (dir === "." ? f : `${dir}${f}`))]));
  return { exists: (p) => all.has(p), files: (dir) => tree[dir] };
}

const room = folders({
  ".": ["P007_s1.csv", "P007_s2.csv", "P008_s1.csv", "notes.txt", "b.CSV", ".P007_s1.csv.enc.tmp-0a1b2c3d4e5f", ".hidden.csv", "data[1].csv", "a.csv.enc"],
  "data\\": ["x.csv", "y.csv"],
  "C:\\lab\\": ["P009.csv"],
  "sub/": ["z.csv"],
});
const win = (...args: string[]) => expandPatterns(args, "win32", room);

describe("expandPatterns on win32 (cmd.exe and PowerShell hand the pattern over as typed)", () => {
  it("* and ? in the last part, sorted, case-insensitive; a leading dot is not matched", () => {
    expect(win("*.csv")).toEqual(["P007_s1.csv", "P007_s2.csv", "P008_s1.csv", "b.CSV", "data[1].csv"]);
    expect(win("P00?_s1.csv")).toEqual(["P007_s1.csv", "P008_s1.csv"]);
    expect(win("p007*")).toEqual(["P007_s1.csv", "P007_s2.csv"]);
    expect(win(".*.csv")).toEqual([".hidden.csv"]);
    expect(win("*.enc")).toEqual(["a.csv.enc"]);
  });

  it("[...] sets, ranges and negation", () => {
    expect(win("P00[78]_s1.csv")).toEqual(["P007_s1.csv", "P008_s1.csv"]);
    expect(win("P00[0-7]_s?.csv")).toEqual(["P007_s1.csv", "P007_s2.csv"]);
    expect(win("P00[!7]_s1.csv")).toEqual(["P008_s1.csv"]);
    expect(win("P00[^7]_s1.csv")).toEqual(["P008_s1.csv"]);
  });

  it("keeps the folder as typed, with either separator", () => {
    expect(win("data\\*.csv")).toEqual(["data\\x.csv", "data\\y.csv"]);
    expect(win("C:\\lab\\*.csv")).toEqual(["C:\\lab\\P009.csv"]);
    expect(win("sub/*.csv")).toEqual(["sub/z.csv"]);
  });

  it("leaves alone what the shell already expanded, plain names, and names that exist as typed", () => {
    expect(win("P007_s1.csv", "P008_s1.csv")).toEqual(["P007_s1.csv", "P008_s1.csv"]);
    expect(win("missing.csv")).toEqual(["missing.csv"]);
    // "data[1].csv" exists: a bracket that is part of a real name is not a pattern.
    expect(win("data[1].csv")).toEqual(["data[1].csv"]);
    expect(win("P00[7.csv")).toEqual(["P00[7.csv"]);
  });

  it("mixes patterns and names in order", () => {
    expect(win("notes.txt", "P008*", "sub/*.csv")).toEqual(["notes.txt", "P008_s1.csv", "sub/z.csv"]);
  });

  it("a pattern that matches nothing, or a folder that cannot be read, is a usage error", () => {
    expect(() => win("*.xlsx")).toThrow(new UsageError("no file matches *.xlsx"));
    expect(() => win("nowhere\\*.csv")).toThrow(UsageError);
    expect(() => win("P00[z-a].csv")).toThrow(/not a valid pattern/);
  });

  it("a pattern in a folder part is not expanded (the verb then names the missing file)", () => {
    expect(win("d*\\x.csv")).toEqual(["d*\\x.csv"]);
  });
});

describe("expandPatterns elsewhere: the shell has expanded what it meant to", () => {
  it("returns the arguments unchanged on linux and darwin", () => {
    for (const platform of ["linux", "darwin"]) expect(expandPatterns(["*.csv", "P00?.csv"], platform, room)).toEqual(["*.csv", "P00?.csv"]);
  });
});

describe("matcher", () => {
  it("no wildcard: undefined", () => {
    expect(matcher("plain.csv")).toBeUndefined();
    expect(matcher("a[b.csv")).toBeUndefined();
  });

  it("regular expression characters in a pattern are literal", () => {
    const m = matcher("a.(b)+{c}$^|*");
    expect(m?.("a.(b)+{c}$^|tail")).toBe(true);
    expect(m?.("aX(b)+{c}$^|tail")).toBe(false);
  });

  it("? is one character, astral ones included; * may be empty", () => {
    expect(matcher("?.txt")?.("😀.txt")).toBe(true);
    expect(matcher("?.txt")?.("ab.txt")).toBe(false);
    expect(matcher("a*b")?.("ab")).toBe(true);
  });

  it("] first in a set is a member; - first or last is literal", () => {
    expect(matcher("[]a].x")?.("].x")).toBe(true);
    expect(matcher("[!]].x")?.("].x")).toBe(false);
    expect(matcher("[-a].x")?.("-.x")).toBe(true);
    expect(matcher("[a-].x")?.("-.x")).toBe(true);
    expect(matcher("[a-c].x")?.("-.x")).toBe(false);
    expect(matcher("[\\^].x")?.("^.x")).toBe(true);
  });
});
