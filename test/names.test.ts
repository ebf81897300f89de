import { describe, expect, it } from "vitest";
import { usableName } from "../src/bundle/names.js";

/** The name only (undefined: the output is named after the bundle). */
const on = (platform: string) => (recorded: string) => usableName(recorded, platform).name;
const linux = on("linux");
const mac = on("darwin");
const windows = on("win32");

describe("names usable everywhere are kept, without a warning", () => {
  for (const name of ["P007_s1.csv", "rt data.csv", "Données été.csv", "数据.csv", "😀.txt", ".hidden", "a..b", "x".repeat(255)]) {
    it(JSON.stringify(name.slice(0, 20)), () => {
      for (const platform of ["linux", "darwin", "win32"]) expect(usableName(name, platform)).toEqual({ name, warning: undefined });
    });
  }
});

describe("names unsafe on every platform", () => {
  it("a path keeps only its last part (either slash)", () => {
    for (const platform of [linux, mac, windows]) {
      expect(platform("../../escape.csv")).toBe("escape.csv");
      expect(platform("/etc/cron.d/evil")).toBe("evil");
      expect(platform("..\\..\\win.csv")).toBe("win.csv");
      expect(platform("C:\\Users\\lab\\P007.csv")).toBe("P007.csv");
    }
    expect(usableName("../x.csv", "linux").warning).toBe('the recorded name "../x.csv" is a path (only its last part is kept): writing x.csv');
  });

  it("empty, . and .., a trailing slash, control characters (NUL, C0, DEL, C1): no name, the bundle's is used", () => {
    for (const platform of ["linux", "darwin", "win32"]) {
      for (const recorded of ["", ".", "..", "dir/", "a/..", "nul\u0000.csv", "bell\u0007.csv", "tab\t.csv", "del\u007f.csv", "c1\u009b31m.csv", "\u001b]0;pwned\u0007title.csv"]) {
        const r = usableName(recorded, platform);
        expect(r.name, JSON.stringify(recorded)).toBeUndefined();
        expect(r.warning, JSON.stringify(recorded)).toMatch(/: the output is named after the bundle$/);
      }
    }
    expect(usableName("..", "linux").warning).toBe('the recorded name ".." is ..: the output is named after the bundle');
    expect(usableName("", "linux").warning).toBe('the recorded name "" is empty: the output is named after the bundle');
    expect(usableName("dir/", "linux").warning).toBe('the recorded name "dir/" is a path (only its last part is kept), is empty: the output is named after the bundle');
  });

  it("the warning shows control characters escaped, C1 and DEL included, and a long name cut", () => {
    const w = usableName("\u001b[2J\u009b31m\u007f.csv", "linux").warning ?? "";
    expect(w).toBe('the recorded name "\\u001b[2J\\u009b31m\\u007f.csv" has control characters: the output is named after the bundle');
    // eslint-disable-next-line no-control-regex
    expect(w).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(usableName(`${"a".repeat(300)}\u0007`, "linux").warning).toBe(`the recorded name "${"a".repeat(100)}..." has control characters: the output is named after the bundle`);
  });

  it("lone surrogates become _ (a file name is written as UTF-8 or proper UTF-16)", () => {
    for (const platform of [linux, mac, windows]) {
      expect(platform("a\ud800b.csv")).toBe("a_b.csv");
      expect(platform("\udc00.csv")).toBe("_.csv");
      expect(platform("ok\ud83d\ude00.csv")).toBe("ok\ud83d\ude00.csv");
    }
    expect(usableName("a\ud800.csv", "linux").warning).toBe('the recorded name "a\\ud800.csv" has characters that are not valid Unicode: writing a_.csv');
  });
});

describe("Windows' rules, on win32 only", () => {
  it('each of < > : " | ? * becomes _ (":" would open an NTFS stream)', () => {
    expect(windows("data:stream")).toBe("data_stream");
    expect(windows('a<b>c:d"e|f?g*h.csv')).toBe("a_b_c_d_e_f_g_h.csv");
    expect(usableName("12:30 run?.csv", "win32").warning).toBe('the recorded name "12:30 run?.csv" has characters Windows forbids in file names (: ?): writing 12_30 run_.csv');
    expect(linux('a<b>c:d"e|f?g*h.csv')).toBe('a<b>c:d"e|f?g*h.csv');
    expect(mac("12:30.csv")).toBe("12:30.csv");
  });

  it("trailing dots and spaces are dropped; nothing left: the bundle's name", () => {
    expect(windows("data.csv.")).toBe("data.csv");
    expect(windows("data.csv . .")).toBe("data.csv");
    expect(windows("data ")).toBe("data");
    expect(windows(" lead.csv")).toBe(" lead.csv");
    expect(windows("...")).toBeUndefined();
    expect(windows(" ")).toBeUndefined();
    expect(usableName("a.csv.", "win32").warning).toBe('the recorded name "a.csv." ends in dots or spaces, which Windows drops: writing a.csv');
    expect(linux("data.csv.")).toBe("data.csv.");
    expect(linux(" ")).toBe(" ");
  });

  it("device names, any case, with any extension, get a leading _", () => {
    for (const device of ["CON", "PRN", "AUX", "NUL", "COM1", "COM9", "COM0", "LPT1", "LPT9", "LPT0", "COM¹", "LPT³"]) {
      for (const name of [device, device.toLowerCase(), `${device}.txt`, `${device}.tar.gz`, `${device} .csv`]) expect(windows(name), name).toBe(`_${name}`);
    }
    expect(windows("CON.")).toBe("_CON");
    expect(usableName("nul.csv", "win32").warning).toBe('the recorded name "nul.csv" is the device name NUL on Windows: writing _nul.csv');
    for (const name of ["CONSOLE.txt", "COM10", "LPT", "xCON", "con-1.csv", "AUX_data.csv"]) expect(windows(name), name).toBe(name);
    expect(linux("CON.txt")).toBe("CON.txt");
    expect(mac("nul")).toBe("nul");
  });

  it("several rules at once are told in one line", () => {
    expect(usableName("dir/aux.1:2.", "win32")).toEqual({
      name: "_aux.1_2",
      warning: 'the recorded name "dir/aux.1:2." is a path (only its last part is kept), has characters Windows forbids in file names (:), ends in dots or spaces, which Windows drops, is the device name AUX on Windows: writing _aux.1_2',
    });
    expect(windows("aux:1.csv")).toBe("aux_1.csv");
  });
});

describe("length: 255 bytes of UTF-8 (Linux, macOS), 255 UTF-16 units (Windows)", () => {
  const bytes = (s: string) => new TextEncoder().encode(s).length;

  it("a long name is shortened, keeping its extension and whole characters", () => {
    const long = `${"é".repeat(200)}.csv`; // 404 bytes of UTF-8, 204 UTF-16 units
    const l = linux(long) ?? "";
    expect(bytes(l)).toBeLessThanOrEqual(255);
    expect(l).toBe(`${"é".repeat(125)}.csv`);
    expect(windows(long)).toBe(long);
    expect(usableName(long, "linux").warning).toMatch(/is longer than 255 bytes: writing é+\.csv$/);
    const emoji = `${"😀".repeat(130)}.txt`; // 260 UTF-16 units
    const w = windows(emoji) ?? "";
    expect(w).toBe(`${"😀".repeat(125)}.txt`);
    expect(w.length).toBe(254);
    expect(usableName(emoji, "win32").warning).toMatch(/is longer than 255 UTF-16 units: writing/);
  });

  it("without a short extension the whole name is cut; on Windows a cut that ends in a space loses it", () => {
    expect(linux("x".repeat(300))).toBe("x".repeat(255));
    expect(linux(`${"x".repeat(300)}.${"y".repeat(20)}`)).toBe("x".repeat(255));
    expect(windows(`${"x".repeat(254)} tail`)).toBe("x".repeat(254));
  });

  it("a name of exactly 255 is kept; a device name made longer by its _ is cut back", () => {
    expect(linux("a".repeat(251) + ".csv")).toBe("a".repeat(251) + ".csv");
    const dev = `CON.${"z".repeat(251)}`;
    expect((windows(dev) ?? "").length).toBe(255);
    expect(windows(dev)?.startsWith("_CON.")).toBe(true);
  });

  it("a name of a million characters is handled at once", () => {
    const started = performance.now();
    expect(linux("n".repeat(1 << 20))).toBe("n".repeat(255));
    expect(performance.now() - started).toBeLessThan(500);
  });
});
