import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { END, listTar, memberHeader, padding, type ByteSource } from "../src/bundle/tar.js";
import { FormatError } from "../src/bundle/errors.js";

/** An archive of real header bytes around a huge member of zeros that is never stored. */
function virtualArchive(name: string, size: number): ByteSource {
  const head = memberHeader(name, size);
  const tail = Uint8Array.from([...padding(size), ...END]);
  const total = head.length + size + tail.length;
  return {
    size: () => total,
    read(dst, position) {
      const n = Math.min(dst.length, total - position);
      for (let i = 0; i < n; i++) {
        const at = position + i;
        dst[i] = at < head.length ? (head[at] ?? 0) : at >= head.length + size ? (tail[at - head.length - size] ?? 0) : 0;
      }
      return n;
    },
  };
}

describe("tar", () => {
  it("writes sizes of 8 GiB and more as a pax record, and reads them back", () => {
    for (const size of [0o77777777777, 0o77777777777 + 1, 5 * 2 ** 32 + 7]) {
      const entries = listTar(virtualArchive("payload.bin", size), { maxEntries: 4 });
      expect(entries).toEqual([{ name: "payload.bin", offset: memberHeader("payload.bin", size).length, size }]);
    }
  });

  it("writes headers GNU tar reads, with mode 0600, owner 0 and mtime 0", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osw-tar-"));
    try {
      const content = new TextEncoder().encode("hello");
      fs.writeFileSync(path.join(dir, "a.tar"), Uint8Array.from([...memberHeader("a.txt", content.length), ...content, ...padding(content.length), ...END]));
      expect(execFileSync("tar", ["tvf", "a.tar", "--numeric-owner"], { cwd: dir }).toString()).toMatch(/^-rw------- 0\/0\s+5 1970-01-01 00:00 a\.txt$/m);
      execFileSync("tar", ["xf", "a.tar"], { cwd: dir });
      expect(fs.readFileSync(path.join(dir, "a.txt"), "utf8")).toBe("hello");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses pax records other than size in bundles, but reads other tools' in lenient mode", () => {
    const record = "30 mtime=1700000000.123456789\n";
    const body = new TextEncoder().encode(record);
    const x = memberHeader("PaxHeader/a", body.length);
    x[156] = "x".charCodeAt(0);
    // fix the checksum after changing the type flag
    x.fill(0x20, 148, 156);
    const sum = x.reduce((a, b) => a + b, 0);
    x.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, "0")}\0 `), 148);
    const archive = Uint8Array.from([...x, ...body, ...padding(body.length), ...memberHeader("a", 0), ...END]);
    const src: ByteSource = { size: () => archive.length, read: (dst, p) => (dst.set(archive.subarray(p, p + dst.length)), Math.min(dst.length, archive.length - p)) };
    expect(() => listTar(src, { maxEntries: 4 })).toThrow(FormatError);
    expect(listTar(src, { maxEntries: 4, lenient: true }).map((e) => e.name)).toEqual(["a"]);
  });
});
