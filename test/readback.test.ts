import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPublicKey } from "../src/index.js";
import { seal } from "../src/bundle/v2.js";
import { MemoryFile } from "../src/wasi/index.js";
import { pattern } from "./helpers/data.js";
import { hostKey, type TestKey } from "./helpers/keys.js";
import { ctx } from "./helpers/context.js";

/**
 * The read-back check that guards the original's removal. It no longer recomputes the tag: it
 * compares the small members with what was written and decrypts the payload against the
 * original. Any byte changed on disk, or an original that differs, must fail it.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-readback-"));
let k: TestKey;
beforeAll(() => {
  k = hostKey(tmp, "k");
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function sealed(engine: "auto" | "wasm", plain: Uint8Array) {
  const out = new MemoryFile();
  const s = await seal(ctx, new MemoryFile(plain), out, { recipients: [await readPublicKey(k.pubPem)], engine });
  return { s, bundle: out.bytes() };
}

describe.each(["auto", "wasm"] as const)("read-back check (%s)", (engine) => {
  const plain = pattern(300_001);

  it("passes for the bundle as written", async () => {
    const { s, bundle } = await sealed(engine, plain);
    expect(await s.verify(new MemoryFile(bundle), new MemoryFile(plain))).toBe(true);
  });

  it("fails for any changed byte: header, wrapped key, payload start/middle/end, tag", async () => {
    const { s, bundle } = await sealed(engine, plain);
    const text = new TextDecoder("latin1").decode(bundle);
    const payloadAt = text.indexOf("payload.bin") + 512;
    const tagAt = text.indexOf("tag.hmac") + 512;
    const positions = { header: 512 + 30, key: text.indexOf("key-1.oaep") + 512 + 7, payloadStart: payloadAt, payloadMiddle: payloadAt + 150_000, payloadEnd: payloadAt + plain.length - 1, tag: tagAt + 31 };
    for (const [what, at] of Object.entries(positions)) {
      const bad = bundle.slice();
      bad[at] = (bad[at] ?? 0) ^ 1;
      expect(await s.verify(new MemoryFile(bad), new MemoryFile(plain)), what).toBe(false);
    }
  });

  it("fails when the original differs from what was encrypted, or is shorter", async () => {
    const { s, bundle } = await sealed(engine, plain);
    const other = plain.slice();
    other[123_456] = (other[123_456] ?? 0) ^ 0x80;
    expect(await s.verify(new MemoryFile(bundle), new MemoryFile(other))).toBe(false);
    expect(await s.verify(new MemoryFile(bundle), new MemoryFile(plain.subarray(0, plain.length - 1)))).toBe(false);
  });
});

describe.each(["auto", "wasm"] as const)("read-back check with the original kept (%s)", (engine) => {
  const plain = pattern(300_001, 4);

  /** Seals into memory through `disk`, which may change one payload byte on its way in, or read back wrong. */
  async function keptSeal(o: { corruptWrite?: number; corruptRead?: number } = {}) {
    const out = new MemoryFile();
    let payloadAt = -1;
    const disk = {
      read(dst: Uint8Array, at: number) {
        const n = out.read(dst, at);
        const c = o.corruptRead;
        if (c !== undefined && payloadAt >= 0 && c + payloadAt >= at && c + payloadAt < at + n) dst[c + payloadAt - at] = (dst[c + payloadAt - at] ?? 0) ^ 1;
        return n;
      },
      write(src: Uint8Array, at: number) {
        // The payload is written first, from its place in the archive.
        if (payloadAt < 0) payloadAt = at;
        const c = o.corruptWrite;
        if (c !== undefined && c + payloadAt >= at && c + payloadAt < at + src.length) {
          src = new Uint8Array(src); // a copy (Buffer's slice would share the engine's memory)
          src[c + payloadAt - at] = (src[c + payloadAt - at] ?? 0) ^ 1;
        }
        out.write(src, at);
      },
      size: () => out.size(),
    };
    const s = await seal(ctx, new MemoryFile(plain), disk, { recipients: [await readPublicKey(k.pubPem)], engine, originalKept: true });
    return { s, out };
  }

  it("passes for the bundle as written, without the original", async () => {
    const { s, out } = await keptSeal();
    expect(await s.verify(out)).toBe(true);
  });

  it("fails when a payload byte was stored wrong, or reads back wrong", async () => {
    for (const at of [0, 150_000, plain.length - 1]) {
      for (const fault of ["corruptWrite", "corruptRead"] as const) {
        const { s, out } = await keptSeal({ [fault]: at });
        expect(await s.verify(out), `${fault} ${at}`).toBe(false);
      }
    }
  });

  it("fails for a changed small member (header, tag)", async () => {
    const { s, out } = await keptSeal();
    const bundle = out.bytes();
    const text = new TextDecoder("latin1").decode(bundle);
    for (const at of [512 + 30, text.indexOf("tag.hmac") + 512 + 31]) {
      const bad = bundle.slice();
      bad[at] = (bad[at] ?? 0) ^ 1;
      expect(await s.verify(new MemoryFile(bad))).toBe(false);
    }
  });
});
