import { describe, expect, it } from "vitest";
import { ObservedFile, TappedFile } from "../src/bundle/hooked-files.js";
import { ChunkWriter, WRITES_IN_FLIGHT } from "../src/runtime/node/pump.js";
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
  it("shows the chunks to `written` in order, though the writes land in reverse; at most WRITES_IN_FLIGHT in flight", async () => {
    const { storage, held, bytes } = heldStorage();
    const seen: number[] = [];
    const w = new ChunkWriter(storage, (c, at) => seen.push(c[0] === at / 4 ? at / 4 : -1));
    const n = WRITES_IN_FLIGHT;
    expect(n).toBeGreaterThanOrEqual(2);
    await Promise.all(Array.from({ length: n - 1 }, (_, i) => w.write(chunk(i), i * 4))); // none waited for
    const last = w.write(chunk(n - 1), (n - 1) * 4); // the n-th: waits for the first
    await settle();
    expect(held.length).toBe(n);
    for (let i = n - 1; i > 0; i--) held[i]?.land();
    await settle();
    expect(seen).toEqual([]); // the first has not landed: nothing after it is shown either
    held[0]?.land();
    await last;
    await w.drain();
    const order = Array.from({ length: n }, (_, i) => i);
    expect(seen).toEqual(order);
    expect([...bytes()]).toEqual(order.flatMap((i) => [i, i, i, i]));
  });

  it("throws a failed write from the write that waits for it, or from drain(), and never shows it as written; settle() does not throw", async () => {
    const { storage, held } = heldStorage();
    const seen: number[] = [];
    const w = new ChunkWriter(storage, (_, at) => seen.push(at));
    await w.write(chunk(0), 0);
    for (let i = 1; i < WRITES_IN_FLIGHT - 1; i++) await w.write(chunk(i), i * 4);
    const waiting = w.write(chunk(9), 36);
    for (const h of held.slice(1)) h.land();
    held[0]?.fail(new Error("EIO"));
    await expect(waiting).rejects.toThrow("EIO");
    expect(seen).toEqual([]);
    await expect(w.settle()).resolves.toBeUndefined();

    const other = heldStorage();
    const v = new ChunkWriter(other.storage, (_, at) => seen.push(at));
    await v.write(chunk(1), 0);
    other.held[0]?.fail(new Error("ENOSPC"));
    await expect(v.drain()).rejects.toThrow("ENOSPC");
    expect(seen).toEqual([]);
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
