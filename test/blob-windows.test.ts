import { describe, expect, it } from "vitest";
import { blobWindows } from "../src/runtime/browser/blob-windows.js";
import { pattern } from "./helpers/data.js";

/**
 * How the browser engine reads a user's File ahead (src/runtime/browser/blob-windows.ts), on Node's
 * Blob: the same bytes in any piece size, a stop part way that leaves other reads working, and a
 * file that changed or cannot be read as one clear error.
 */

const unreadable = (e: unknown) => new Error(`unreadable: ${e instanceof Error ? e.message : String(e)}`);

/** All of `blob` from `from` to `to`, asked for in pieces of `piece` bytes. */
async function readAll(blob: Blob, from: number, to: number, window: number, piece: number): Promise<Uint8Array> {
  const reader = blobWindows(blob, from, to, window, unreadable);
  const out: number[] = [];
  for (let got = await reader.read(new Uint8Array(piece)); got.length > 0; got = await reader.read(new Uint8Array(piece))) out.push(...got);
  await reader.cancel();
  return Uint8Array.from(out);
}

describe("blobWindows", () => {
  const data = pattern(100_000, 7);
  const blob = new Blob([data as Uint8Array<ArrayBuffer>]);

  it("gives the bytes from..to in order, whatever the window and the pieces asked for", async () => {
    for (const [window, piece] of [
      [4096, 4096],
      [4096, 1000],
      [1000, 4096],
      [65_536, 99_999],
    ] as const) {
      expect(Buffer.from(await readAll(blob, 0, data.length, window, piece)).equals(Buffer.from(data))).toBe(true);
      expect(Buffer.from(await readAll(blob, 123, 54_321, window, piece)).equals(Buffer.from(data.subarray(123, 54_321)))).toBe(true);
    }
    expect(await readAll(blob, 500, 500, 4096, 4096)).toEqual(new Uint8Array(0));
  });

  it("stops part way, and the next reader of a file still reads all of it", async () => {
    const first = blobWindows(blob, 0, data.length, 4096, unreadable);
    const piece = await first.read(new Uint8Array(1000));
    expect(Buffer.from(piece).equals(Buffer.from(data.subarray(0, 1000)))).toBe(true);
    await first.cancel();
    expect((await first.read(new Uint8Array(1000))).length).toBe(0);
    const small = pattern(451, 8);
    expect(Buffer.from(await readAll(new Blob([small as Uint8Array<ArrayBuffer>]), 0, small.length, 1 << 20, 1 << 20)).equals(Buffer.from(small))).toBe(true);
  });

  it("refuses a file that gives fewer bytes than it had, or none, with one line", async () => {
    const shrunk = { slice: () => new Blob([new Uint8Array(10)]) } as unknown as Blob;
    await expect(blobWindows(shrunk, 0, 4096, 4096, unreadable).read(new Uint8Array(4096))).rejects.toThrow("the file changed while it was being read");
    const gone = { slice: () => ({ arrayBuffer: () => Promise.reject(new DOMException("gone", "NotReadableError")) }) } as unknown as Blob;
    await expect(blobWindows(gone, 0, 4096, 4096, unreadable).read(new Uint8Array(4096))).rejects.toThrow("unreadable: gone");
  });
});
