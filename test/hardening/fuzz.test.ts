/**
 * Property tests (fast-check): random bytes, random tar structures and mutated valid bundles fed
 * to the v2 reader (`openBundle`, `decryptBytes`) and the legacy reader (`readLegacy`,
 * `decryptLegacy`). For every input: the outcome is a typed OpensslwrapError or a success (for v2,
 * a success gives exactly the original plaintext: never wrong bytes); no run takes long; memory
 * does not grow without bound.
 *
 * ~200 runs per property with a fixed seed (reproducible); HARDENING_SEED=n picks another,
 * HARDENING_FULL=1 runs 10x as many.
 */
import * as crypto from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { readLegacy, decryptLegacy } from "../../src/bundle/legacy.js";
import { openBundle } from "../../src/bundle/v2.js";
import { decryptBytes, encryptBytes, OpensslwrapError } from "../../src/index.js";
import { MemoryFile } from "../../src/wasi/index.js";
import { pattern } from "../helpers/data.js";
import { hostKeyPair, make2012Bundle, makePyFileSecBundle, type HostKeyPair } from "../helpers/legacy-fixtures.js";
import { concat, FULL, members, rebuild, ustar, type TarSpec } from "./util.js";
import { ctx } from "../helpers/context.js";

const RUNS = FULL ? 2000 : 200;
const SEED = Number(process.env["HARDENING_SEED"] ?? 20240611);
/** No single input may take longer than this (generous: CI machines are shared). */
const RUN_LIMIT_MS = 5000;
/** Growth of heap + array buffers over a whole property, after its own garbage is collectable. */
const MEMORY_LIMIT = 256 << 20;

let alice: HostKeyPair;
let v2: Uint8Array;
let legacy2012: Uint8Array;
let legacyPy: Uint8Array;
const plaintext = pattern(2000, 51);

beforeAll(async () => {
  alice = hostKeyPair(2048);
  const other = hostKeyPair(2048);
  v2 = await encryptBytes(plaintext, { publicKeys: [alice.pub, other.pub], signWith: { key: alice.priv }, name: "f.csv" });
  legacy2012 = make2012Bundle({ plaintext, pub: alice.pub, md: "sha256" }).bundle;
  legacyPy = makePyFileSecBundle({ plaintext, pub: alice.pub, md: "sha256" }).bundle;
});

const memory = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

interface Tally {
  ok: number;
  refused: Map<string, number>;
  peak: number;
  slowest: number;
}

/** Runs `body` on one input: typed refusal or success only, within the time limit; tracks memory. */
async function outcome(t: Tally, body: () => Promise<void>): Promise<void> {
  const start = performance.now();
  try {
    await body();
    t.ok++;
  } catch (e) {
    if (!(e instanceof OpensslwrapError)) throw new Error(`untyped failure: ${String(e)}`, { cause: e });
    if (e.message.includes("\n")) throw new Error(`multi-line message: ${e.message}`);
    t.refused.set(e.name, (t.refused.get(e.name) ?? 0) + 1);
  }
  const took = performance.now() - start;
  t.slowest = Math.max(t.slowest, took);
  if (took > RUN_LIMIT_MS) throw new Error(`one input took ${Math.round(took)} ms`);
  t.peak = Math.max(t.peak, memory());
}

async function check<T>(arb: fc.Arbitrary<T>, body: (x: T) => Promise<void>, runs = RUNS): Promise<Tally> {
  const t: Tally = { ok: 0, refused: new Map(), peak: 0, slowest: 0 };
  const base = memory();
  await fc.assert(
    fc.asyncProperty(arb, (x) => outcome(t, () => body(x))),
    { numRuns: runs, seed: SEED, endOnFailure: true },
  );
  expect(t.peak - base, "memory growth (bytes)").toBeLessThan(MEMORY_LIMIT);
  if (process.env["HARDENING_VERBOSE"] === "1") console.log({ ok: t.ok, refused: Object.fromEntries(t.refused), slowestMs: Math.round(t.slowest) });
  return t;
}

// --- mutations --------------------------------------------------------------------------------

type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; len: number }
  | { kind: "truncate"; at: number }
  | { kind: "overwrite"; at: number; bytes: Uint8Array }
  | { kind: "append"; bytes: Uint8Array };

type MemberEdit =
  | { kind: "none" }
  | { kind: "swap"; i: number; j: number }
  | { kind: "dup"; i: number }
  | { kind: "drop"; i: number }
  | { kind: "rename"; i: number; name: string }
  /** Byte mutations inside one member's content, the archive rebuilt around it: reaches the checks behind the tar layer. */
  | { kind: "content"; i: number; muts: Mutation[] };

const fraction = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fraction, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fraction, bytes: fc.uint8Array({ minLength: 1, maxLength: 600 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fraction, len: fc.integer({ min: 1, max: 1100 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fraction }),
  fc.record({ kind: fc.constant("overwrite" as const), at: fraction, bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant("append" as const), bytes: fc.oneof(fc.uint8Array({ maxLength: 2048 }), fc.constant(new Uint8Array(1024))) }),
);

const NAMES = ["header.txt", "key-1.oaep", "key-2.oaep", "key-3.oaep", "payload.bin", "meta.json", "tag.hmac", "sig-1.pss", "sig-2.pss", "../x", "/etc/x", "a/b", ".", ""];
const memberEdit: fc.Arbitrary<MemberEdit> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: "none" as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("content" as const), i: fc.nat(9), muts: fc.array(mutation, { minLength: 1, maxLength: 2 }) }) },
  fc.record({ kind: fc.constant("swap" as const), i: fc.nat(9), j: fc.nat(9) }),
  fc.record({ kind: fc.constant("dup" as const), i: fc.nat(9) }),
  fc.record({ kind: fc.constant("drop" as const), i: fc.nat(9) }),
  fc.record({ kind: fc.constant("rename" as const), i: fc.nat(9), name: fc.constantFrom(...NAMES) }),
);

function editMembers(bundle: Uint8Array, e: MemberEdit): Uint8Array {
  if (e.kind === "none") return bundle;
  const list = members(bundle);
  const n = list.length;
  if (n === 0) return bundle;
  const at = (i: number) => i % n;
  if (e.kind === "swap") {
    const a = list[at(e.i)];
    const b = list[at(e.j)];
    if (a !== undefined && b !== undefined) [list[at(e.i)], list[at(e.j)]] = [b, a];
  } else if (e.kind === "dup") {
    const a = list[at(e.i)];
    if (a !== undefined) list.splice(at(e.i), 0, a);
  } else if (e.kind === "drop") list.splice(at(e.i), 1);
  else if (e.kind === "content") {
    const a = list[at(e.i)];
    if (a !== undefined) a.content = e.muts.reduce(mutate, a.content);
  } else {
    const a = list[at(e.i)];
    if (a !== undefined) a.name = e.name;
  }
  return rebuild(list);
}

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const pos = "at" in m ? Math.floor(m.at * bytes.length) : 0;
  switch (m.kind) {
    case "flip": {
      const c = bytes.slice();
      if (c.length > 0) c[pos] = (c[pos] ?? 0) ^ (1 << m.bit);
      return c;
    }
    case "insert":
      return concat([bytes.subarray(0, pos), m.bytes, bytes.subarray(pos)]);
    case "delete":
      return concat([bytes.subarray(0, pos), bytes.subarray(pos + m.len)]);
    case "truncate":
      return bytes.subarray(0, pos);
    case "overwrite": {
      const c = bytes.slice();
      c.set(m.bytes.subarray(0, Math.max(0, c.length - pos)), pos);
      return c;
    }
    case "append":
      return concat([bytes, m.bytes]);
  }
}

const mutated = (base: () => Uint8Array) =>
  fc.tuple(memberEdit, fc.array(mutation, { minLength: 0, maxLength: 2 })).map(([edit, muts]) => ({ edit, muts, bytes: () => muts.reduce(mutate, editMembers(base(), edit)) }));

/** Random archives of bundle-like and hostile members. */
const tarSpec: fc.Arbitrary<TarSpec> = fc.record({
  name: fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 120 })),
  type: fc.constantFrom("0", "0", "0", "\0", "1", "2", "3", "5", "6", "7", "x", "g", "L", "K", "S"),
  content: fc.oneof(fc.uint8Array({ maxLength: 700 }), fc.constant(new TextEncoder().encode("30 size=99999999999999999999\n")), fc.constant(new TextEncoder().encode("opensslwrap-bundle 2\ncipher aes-256-ctr\n"))),
  size: fc.option(fc.oneof(fc.nat(5000), fc.constant(0o77777777777)), { nil: undefined }),
  prefix: fc.option(fc.constantFrom("..", "/tmp", "a"), { nil: undefined }),
  magic: fc.constantFrom("ustar\u000000" as const, "ustar  \u0000" as const),
});
const randomTar = fc.tuple(fc.array(tarSpec, { maxLength: 8 }), fc.boolean()).map(([specs, end]) => ustar(specs, end ? new Uint8Array(1024) : new Uint8Array(0)));

// --- properties -------------------------------------------------------------------------------

describe("v2 reader", () => {
  it("random bytes: openBundle and decryptBytes refuse with a typed error", async () => {
    await check(fc.uint8Array({ maxLength: 16 << 10 }), async (b) => {
      await openBundle(ctx, new MemoryFile(b));
    });
    await check(fc.uint8Array({ maxLength: 4096 }), async (b) => {
      await decryptBytes(b, { privateKey: { key: alice.priv } });
    });
  }, 120_000);

  it("random tar structures: openBundle refuses or opens, never crashes", async () => {
    await check(randomTar, async (b) => {
      await openBundle(ctx, new MemoryFile(b));
    });
  }, 120_000);

  it("mutated valid bundles (bit flips, inserts, deletes, truncation, member reordering): typed refusal or the exact plaintext", async () => {
    const t = await check(mutated(() => v2), async (m) => {
      const r = await decryptBytes(m.bytes(), { privateKey: { key: alice.priv } });
      if (Buffer.compare(r.plaintext, plaintext) !== 0) throw new Error(`wrong plaintext accepted after ${JSON.stringify({ edit: m.edit, muts: m.muts.map((x) => x.kind) })}`);
    });
    // Most inputs are refused; the unchanged ones (no edit, no mutation) decrypt.
    expect([...t.refused.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(RUNS / 2);
  }, 300_000);

  it("a declared size of 8 GiB or 2^53 allocates nothing (the member is refused before it is read)", async () => {
    const before = memory();
    for (const size of [0o77777777777, 2 ** 53 - 1]) {
      const list = members(v2);
      const b = size === 0o77777777777 ? ustar([{ name: "header.txt", content: list[0]?.content, size }]) : ustar([concat([ustar([{ name: "PaxHeader/x", type: "x", content: new TextEncoder().encode(`25 size=${size}\n`) }], new Uint8Array(0))]), { name: "header.txt", content: list[0]?.content }]);
      await expect(openBundle(ctx, new MemoryFile(b))).rejects.toBeInstanceOf(OpensslwrapError);
    }
    expect(memory() - before).toBeLessThan(64 << 20);
  });
});

describe("legacy reader", () => {
  it("random bytes and gzip of random bytes: readLegacy and decryptLegacy refuse with a typed error", async () => {
    await check(fc.uint8Array({ maxLength: 8192 }), async (b) => {
      await readLegacy(b);
    });
    await check(fc.uint8Array({ maxLength: 8192 }), async (b) => {
      await decryptLegacy(ctx, gzipSync(b), { key: alice.priv });
    });
  }, 120_000);

  it("gzip of random tar structures: readLegacy refuses or reads, never crashes", async () => {
    await check(randomTar, async (b) => {
      await readLegacy(gzipSync(b));
    });
  }, 120_000);

  for (const [name, bundle] of [
    ["2012", () => legacy2012],
    ["pyFileSec", () => legacyPy],
  ] as const) {
    it(`mutated ${name} bundles (the gzip bytes, and the tar inside re-compressed): typed refusal or success`, async () => {
      // Legacy bundles carry no MAC: a change to the data member with the recorded SHA-256 also
      // changed may decrypt to other bytes. Only "no crash, typed refusal" is claimed here.
      await check(
        mutated(bundle),
        async (m) => {
          await decryptLegacy(ctx, m.bytes(), { key: alice.priv });
        },
        RUNS / 2,
      );
      const inner = new Uint8Array(gunzipSync(bundle()));
      await check(
        mutated(() => inner),
        async (m) => {
          await decryptLegacy(ctx, gzipSync(m.bytes()), { key: alice.priv });
        },
        RUNS / 2,
      );
    }, 300_000);
  }

  it("a legacy bundle whose wrapped password is random is refused, not decrypted with garbage", async () => {
    const f = make2012Bundle({ plaintext, pub: alice.pub, md: "md5", tamper: (m) => m.set("data.txt.aes256pwd.rsa", new Uint8Array(crypto.randomBytes(256))) });
    await expect(decryptLegacy(ctx, f.bundle, { key: alice.priv })).rejects.toBeInstanceOf(OpensslwrapError);
  });
});
