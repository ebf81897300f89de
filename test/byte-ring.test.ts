import { createHash } from "node:crypto";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { ByteRing, RingAborted } from "../src/bundle/bulk/byte-ring.js";
import { pattern } from "./helpers/data.js";

/** The MAC thread's pipe, with a real second thread (the built module, as the MAC thread uses it). */

const built = pathToFileURL(path.resolve("dist/bundle/bulk/byte-ring.js")).href;

function reader(ring: ByteRing, behaviour: "hash" | "abort"): Promise<string> {
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    const { createHash } = require("node:crypto");
    import(workerData.built).then(({ ByteRing }) => {
      const ring = new ByteRing(workerData.buffer);
      ring.markAlive();
      if (workerData.behaviour === "abort") { ring.abort(); parentPort.postMessage("aborted"); return; }
      const h = createHash("sha256");
      const buf = new Uint8Array(5000);
      for (let n = ring.read(buf); n > 0; n = ring.read(buf)) h.update(buf.subarray(0, n));
      parentPort.postMessage(h.digest("hex"));
    });`;
  const w = new Worker(code, { eval: true, workerData: { built, buffer: ring.buffer, behaviour } });
  return new Promise((resolve, reject) => {
    w.once("message", (m: string) => {
      resolve(m);
      void w.terminate();
    });
    w.once("error", reject);
  });
}

describe("ByteRing", () => {
  it("carries 12 MB through a 64 KiB ring in order, in odd-sized pieces, across wrap-arounds", async () => {
    const ring = new ByteRing(1 << 16);
    const data = pattern(12_000_017, 3);
    const digest = reader(ring, "hash");
    for (let at = 0, step = 1; at < data.length; at += step, step = (step * 7 + 13) % 200_003) ring.write(data.subarray(at, at + step));
    ring.close();
    expect(await digest).toBe(createHash("sha256").update(data).digest("hex"));
  });

  it("a reader that gives up makes the blocked writer throw instead of waiting forever", async () => {
    const ring = new ByteRing(1 << 16);
    const gone = reader(ring, "abort");
    expect(await gone).toBe("aborted");
    expect(() => ring.write(new Uint8Array(1 << 20))).toThrow(RingAborted);
  });

  it("reserve and peek give views into the ring itself, contiguous, never past its end", () => {
    const ring = new ByteRing(16);
    const room = ring.reserve(10);
    expect(room.length).toBe(10);
    room.set(pattern(10, 1));
    ring.commit(10);
    expect(Buffer.from(ring.peek(100))).toEqual(Buffer.from(pattern(10, 1)));
    ring.consume(4);
    expect(ring.reserve(100).length).toBe(6); // up to the end; the 4 freed bytes come next
    ring.commit(6);
    expect(ring.reserve(100).length).toBe(4);
    ring.commit(4);
    expect(ring.peek(100).length).toBe(12); // 6 old + 6 new, up to the end
    ring.consume(12);
    const wrapped = ring.peek(100);
    expect(wrapped.length).toBe(4);
    expect(wrapped.byteOffset).toBe(ring.reserve(1).byteOffset - 4);
  });

  it("refuses a capacity that is not a power of two", () => {
    expect(() => new ByteRing(1000)).toThrow(RangeError);
  });
});
