// The Web Crypto bulk engine in Chromium, against the wasm engine: bundled by
// test/browser/webcrypto.test.ts and run in a dedicated worker (as the page's engine runs).
import { IntegrityError } from "../../src/bundle/errors.js";
import { readPublicKey } from "../../src/bundle/keys.js";
import { seal as sealBundle } from "../../src/bundle/v2.js";
import { payloadKeys } from "../../src/bundle/bulk/keys.js";
import { wasmBulk } from "../../src/bundle/bulk/wasm.js";
import type { BulkEngine } from "../../src/bundle/bulk/engine.js";
import { unhex } from "../../src/openssl/hex.js";
import { browserContext } from "../../src/runtime/browser/context.js";
import { MemoryFile } from "../../src/wasi/index.js";

const ctx = browserContext({ wasmUrl: new URL("./openssl.wasm", location.href), macWorkerUrl: new URL("./mac-worker.js", location.href) });
/** The reference: the engine alone, one thread. */
const reference = wasmBulk(ctx.openssl);
const authenticated = new TextEncoder().encode("header and wrapped keys");

/** Reproducible bytes (xorshift32): not random. */
function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

async function seal(engine: BulkEngine, data: Uint8Array, iv: Uint8Array) {
  const ciphertext = new MemoryFile();
  const r = await engine.seal({ keys: payloadKeys(pattern(64, 9), iv), plaintext: new MemoryFile(data), ciphertext, authenticated });
  return { ciphertext: ciphertext.bytes(), tag: r.tag };
}

async function open(engine: BulkEngine, ciphertext: Uint8Array, tag: Uint8Array, iv: Uint8Array): Promise<Uint8Array | string> {
  let made: MemoryFile | undefined;
  try {
    await engine.open({ keys: payloadKeys(pattern(64, 9), iv), ciphertext: new MemoryFile(ciphertext), authenticated, tag }, async () => (made = new MemoryFile()));
  } catch (e) {
    return e instanceof IntegrityError ? "IntegrityError" : String(e);
  }
  return made?.bytes() ?? "no output";
}

/** Whole bundles sealed with the same one-time secret, IV and wrapped key by both engines: byte for byte the same. */
async function sameBundles(data: Uint8Array, iv: Uint8Array, publicKeyPem: string): Promise<boolean> {
  const recipients = [await readPublicKey(ctx, new TextEncoder().encode(publicKeyPem))];
  const bundles: Uint8Array[] = [];
  for (const engine of ["wasm", "auto"] as const) {
    const out = new MemoryFile();
    const oneTime = { secret: pattern(64, 9), iv: iv.slice(), wrapped: [pattern(recipients[0]?.bits === undefined ? 0 : recipients[0].bits / 8, 5)] };
    const sealed = await sealBundle(ctx, new MemoryFile(data), out, { recipients, engine, oneTime, name: "data.bin", originalKept: true });
    if (!(await sealed.verify(out))) return false;
    bundles.push(out.bytes());
  }
  const [a, b] = bundles;
  return a !== undefined && b !== undefined && same(a, b);
}

/** Seals `size` bytes under `ivHex` with both engines and each opens the other's; tampering refused. */
async function compare(size: number, ivHex: string, publicKeyPem: string) {
  const iv = unhex(ivHex);
  const data = pattern(size, size + 1);
  const fast = ctx.bulk("auto");
  const a = await seal(reference, data, iv);
  const b = await seal(fast, data, iv);
  const opened = await open(fast, a.ciphertext, a.tag, iv);
  const back = await open(reference, b.ciphertext, b.tag, iv);
  const bad = b.ciphertext.slice();
  bad[size >> 1] = (bad[size >> 1] ?? 0) ^ 1;
  return {
    engine: fast.name,
    threads: await ctx.threads,
    sameCiphertext: same(a.ciphertext, b.ciphertext),
    sameTag: same(a.tag, b.tag),
    opensReference: opened instanceof Uint8Array && same(opened, data),
    referenceOpens: back instanceof Uint8Array && same(back, data),
    tampered: size === 0 ? "IntegrityError" : await open(fast, bad, b.tag, iv),
    sameBundle: await sameBundles(data, iv, publicKeyPem),
  };
}

onmessage = (event: MessageEvent<{ size: number; iv: string; publicKey: string }>) => {
  compare(event.data.size, event.data.iv, event.data.publicKey).then(
    (r) => postMessage(r),
    (e: unknown) => postMessage({ error: String(e) }),
  );
};
