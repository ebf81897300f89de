import { describe, expect, it } from "vitest";
import { ObservedFile, TappedFile } from "../src/bundle/hooked-files.js";
import { ChunkWriter } from "../src/runtime/node/pump.js";
import { MemoryFile, type FileNode, type FileStorage } from "../src/wasi/index.js";

/**
 * Writes on the thread pool (FileStorage.writeBehind): the native engine's outputs are written
 * while the next chunk is computed. What sees the written chunks (the read-back check) sees them
 * in order, whatever order the writes land in; a failed write is never taken for a written one.
 */

/** A storage whose background writes land when `land(i)` is called (the i-th write), or fail with `fail`. */
function heldStorage() {
  const file = new MemoryFile();
  const held: { land(): void; fail(e: Error): void }[] = [];
  const storage: FileStorage = {
    size: () => file.size(),
    read: (dst, at) => file.read(dst, at),
    write: (src, at) => file.write(src, at),
    writeBehind: (src, at) =>
      new Promise<void>((resolve, reject) => {
        held.push({
          land: () => {
            file.write(src, at);
            resolve();
          },
          fail: reject,
        });
      }),
    truncate: (size) => file.truncate(size),
    sync: () => undefined,
    close: () => undefined,
  };
  const node: FileNode = { kind: "file", stat: () => file.stat(), open: () => storage };
  return { storage, node, held, bytes: () => file.bytes().slice() };
}

const chunk = (i: number) => new Uint8Array(4).fill(i);
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("ChunkWriter", () => {
  it("shows the chunks to `written` in order, though the writes land in reverse; at most 4 in flight", async () => {
    const { storage, held, bytes } = heldStorage();
    const seen: number[] = [];
    const w = new ChunkWriter(storage, (c, at) => seen.push(at / 4 + (c[0] === at / 4 ? 0 : 100)));
    const writes = [0, 1, 2].map((i) => w.write(chunk(i), i * 4));
    await Promise.all(writes); // three in flight: none waited for
    const fourth = w.write(chunk(3), 12); // the fourth waits for the first
    await settle();
    expect(held.length).toBe(4);
    for (const i of [3, 2, 1]) held[i]?.land();
    await settle();
    expect(seen).toEqual([]); // the first has not landed: nothing after it is shown either
    held[0]?.land();
    await fourth;
    const drained = w.drain();
    await drained;
    expect(seen).toEqual([0, 1, 2, 3]);
    expect([...bytes()]).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  });

  it("throws the first failed write from drain(), and never shows it as written; settle() waits for all without throwing", async () => {
    const { storage, held } = heldStorage();
    const seen: number[] = [];
    const w = new ChunkWriter(storage, (_, at) => seen.push(at));
    await w.write(chunk(0), 0);
    await w.write(chunk(1), 4);
    held[1]?.land();
    held[0]?.fail(new Error("EIO"));
    await expect(w.drain()).rejects.toThrow("EIO");
    expect(seen).toEqual([]);
    await w.write(chunk(2), 8);
    held[2]?.fail(new Error("ENOSPC"));
    await expect(w.settle()).resolves.toBeUndefined();
  });

  it("writes in this thread where the storage cannot write behind, showing each chunk at once", async () => {
    const file = new MemoryFile(new Uint8Array(0));
    const seen: number[] = [];
    const w = new ChunkWriter(file.open(), (_, at) => seen.push(at));
    await w.write(chunk(5), 0);
    expect(seen).toEqual([0]);
    expect(file.size()).toBe(4);
  });
});

describe("HookedFile and writes behind", () => {
  const behindNode = (): FileNode => heldStorage().node;

  it("passes them on for a progress display (any order will do), not for a tap that needs the bytes in order", () => {
    expect(new ObservedFile(behindNode(), () => undefined).open({ read: false, write: true }).writeBehind).toBeTypeOf("function");
    expect(new TappedFile(behindNode(), () => undefined).open({ read: false, write: true }).writeBehind).toBeUndefined();
  });
});
