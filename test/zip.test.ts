import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { crc32 as zlibCrc32 } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { crc32, storedZip, uniqueNames, zipLayout, type ZipEntry } from "../web/zip.js";
import { pattern } from "./helpers/data.js";

/** The web page's stored-zip writer (web/zip.ts), read back by Info-ZIP's unzip and Python's zipfile. */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-zip-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const python = (script: string, ...args: string[]) => execFileSync("python3", ["-c", script, ...args], { encoding: "utf8" });

describe("stored zip", () => {
  it("computes CRC-32 as zlib does, in one piece or several", () => {
    for (const n of [0, 1, 7, 8, 9, 1000, 65_537]) {
      const data = pattern(n, n);
      expect(crc32(data)).toBe(zlibCrc32(data));
      expect(crc32(data.subarray(n >> 1), crc32(data.subarray(0, n >> 1)))).toBe(zlibCrc32(data));
    }
  });

  it("makes archives unzip and Python extract byte for byte, UTF-8 names and empty files included", async () => {
    const files = [
      { name: "P007_s1.csv", data: pattern(300_001, 1) },
      { name: "résumé Ω.txt", data: new TextEncoder().encode("hello\n") },
      { name: "empty.bin", data: new Uint8Array(0) },
    ];
    const zip = path.join(tmp, "a.zip");
    const when = new Date(2024, 4, 17, 13, 45, 30);
    fs.writeFileSync(zip, new Uint8Array(await storedZip(files.map((f) => ({ name: f.name, size: f.data.length, crc: crc32(f.data), data: new Blob([new Uint8Array(f.data)]) })), when).arrayBuffer()));
    expect(execFileSync("unzip", ["-t", zip], { encoding: "utf8" })).toMatch(/No errors detected/);
    const out = path.join(tmp, "out");
    execFileSync("unzip", ["-q", zip, "-d", out]);
    for (const f of files) expect(Buffer.compare(fs.readFileSync(path.join(out, f.name)), Buffer.from(f.data))).toBe(0);
    const listed = JSON.parse(python("import zipfile,json,sys; z=zipfile.ZipFile(sys.argv[1]); print(json.dumps([[i.filename,i.file_size,i.compress_type,list(i.date_time)] for i in z.infolist()]))", zip)) as unknown[];
    expect(listed).toEqual(files.map((f) => [f.name, f.data.length, 0, [2024, 5, 17, 13, 45, 30]]));
  });

  it("writes ZIP64 records for entries and offsets past 4 GiB (read by Python without the data)", () => {
    const entries: ZipEntry[] = [
      { name: "small.bin", size: 10, crc: 1 },
      { name: "huge.bin", size: 5 * 2 ** 30, crc: 2 },
      { name: "after.bin", size: 20, crc: 3 },
    ];
    // A sparse file: the headers at their offsets, holes where the data would be.
    const zip = path.join(tmp, "big.zip");
    const fd = fs.openSync(zip, "w");
    let at = 0;
    for (const p of zipLayout(entries)) {
      if (p instanceof Uint8Array) fs.writeSync(fd, p, 0, p.length, at);
      at += p instanceof Uint8Array ? p.length : p.size;
    }
    fs.ftruncateSync(fd, at);
    fs.closeSync(fd);
    const script = "import zipfile,json,sys; z=zipfile.ZipFile(sys.argv[1]); [z.open(i).close() for i in z.infolist()]; print(json.dumps([[i.filename,i.file_size,i.CRC,i.header_offset] for i in z.infolist()]))";
    const listed = JSON.parse(python(script, zip)) as [string, number, number, number][];
    expect(listed.map(([name, size, crc]) => [name, size, crc])).toEqual(entries.map((e) => [e.name, e.size, e.crc]));
    expect(listed[2]?.[3]).toBeGreaterThan(5 * 2 ** 30);
  });

  it("makes names unique within an archive", () => {
    expect(uniqueNames(["a.csv", "b.csv", "A.csv", "a.csv", "noext", "noext"])).toEqual(["a.csv", "b.csv", "A (2).csv", "a (3).csv", "noext", "noext (2)"]);
  });
});
