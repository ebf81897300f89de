import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EngineIntegrityError, hex, openssl, rand, runOpenSSL } from "../src/openssl-api.js";
import { compileEngine, webSha256 } from "../src/openssl/engine.js";
import { providedImports } from "../src/wasi/index.js";
import { flipped, text } from "./helpers/data.js";
import { setTestSource } from "../src/openssl/test-seam.js";

interface Manifest {
  openssl: { version: string };
  wasm: { file: string; sha256: string; size: number };
}

const sha256Hex = async (bytes: Uint8Array) => hex(await webSha256(bytes));

const WASM_DIR = new URL("../wasm/", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL("manifest.json", WASM_DIR), "utf8")) as Manifest;
const wasmBytes = (): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(new URL(manifest.wasm.file, WASM_DIR)));

/** A clock that never moves: OpenSSL mixes time into its DRBG nonces and personalisation. */
const frozenClock = { realtimeNs: () => 1_780_963_200_000_000_000n, monotonicNs: () => 123_456_789n };
const fixedRandom = (byte: number) => (dst: Uint8Array) => {
  dst.fill(byte);
};

/** `openssl rand -hex 32`, with the engine's random source and clock replaced through the test seam. */
async function randHex(seam?: { random: (dst: Uint8Array) => void; clock: typeof frozenClock }): Promise<string> {
  if (seam !== undefined) setTestSource({ random: seam.random, engineRandom: () => seam.random, clock: seam.clock, now: () => new Date(0) });
  try {
    const r = await runOpenSSL(["rand", "-hex", "32"]);
    return text(r.stdout).trim();
  } finally {
    setTestSource(undefined);
  }
}

describe("engine identity", () => {
  it("is OpenSSL 3.5.7", async () => {
    expect(await openssl.version()).toMatch(/^OpenSSL 3\.5\.7 /);
    expect(manifest.openssl.version).toBe("3.5.7");
  });

  it("reports OPENSSLDIR /openssl in version -a", async () => {
    const out = text((await runOpenSSL(["version", "-a"])).stdout);
    expect(out).toMatch(/^OpenSSL 3\.5\.7 /);
    expect(out).toContain('OPENSSLDIR: "/openssl"');
  });
});

describe("engine integrity", () => {
  it("the wasm in wasm/ is the one the manifest pins", async () => {
    const wasm = wasmBytes();
    expect(wasm.length).toBe(manifest.wasm.size);
    expect(await sha256Hex(wasm)).toBe(manifest.wasm.sha256);
    expect(manifest.wasm.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("sha256Hex is SHA-256", async () => {
    expect(await sha256Hex(new TextEncoder().encode("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("compileEngine accepts the pinned wasm", async () => {
    const module = await compileEngine(wasmBytes(), manifest.wasm.sha256);
    expect(module).toBeInstanceOf(WebAssembly.Module);
  });

  it("compileEngine rejects a wasm with one flipped byte", async () => {
    const wasm = wasmBytes();
    const tampered = new Uint8Array(flipped(wasm, wasm.length >> 1));
    const actual = await sha256Hex(tampered);
    expect(actual).not.toBe(manifest.wasm.sha256);
    const err: unknown = await compileEngine(tampered, manifest.wasm.sha256).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineIntegrityError);
    if (!(err instanceof EngineIntegrityError)) return;
    expect(err.expectedSha256).toBe(manifest.wasm.sha256);
    expect(err.actualSha256).toBe(actual);
  });

  it("compileEngine rejects a wrong expected hash", async () => {
    const wrong = "0".repeat(64);
    await expect(compileEngine(wasmBytes(), wrong)).rejects.toBeInstanceOf(EngineIntegrityError);
  });
});

describe("engine imports", () => {
  it("every import of the module is one our WASI host provides", async () => {
    const provided = new Set(providedImports());
    const imports = WebAssembly.Module.imports(await openssl.module());
    expect(imports.length).toBeGreaterThan(0);
    const missing = imports.filter((i) => i.module !== "wasi_snapshot_preview1" || i.kind !== "function" || !provided.has(i.name));
    expect(missing).toEqual([]);
  });

  it("exports a WASI command entry point and its memory", async () => {
    const exports = WebAssembly.Module.exports(await openssl.module());
    expect(exports).toContainEqual({ name: "_start", kind: "function" });
    expect(exports).toContainEqual({ name: "memory", kind: "memory" });
  });
});

describe("randomness comes from the host", () => {
  it("a fixed random source and a fixed clock give the same bytes twice", async () => {
    let calls = 0;
    const random = (dst: Uint8Array) => {
      calls++;
      dst.fill(0x42);
    };
    const a = await randHex({ random, clock: frozenClock });
    const b = await randHex({ random: fixedRandom(0x42), clock: frozenClock });
    expect(calls).toBeGreaterThan(0);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toBe(a);
  });

  it("a different fixed byte (same clock) gives different bytes", async () => {
    const a = await randHex({ random: fixedRandom(0x42), clock: frozenClock });
    const b = await randHex({ random: fixedRandom(0x43), clock: frozenClock });
    expect(b).toMatch(/^[0-9a-f]{64}$/);
    expect(b).not.toBe(a);
  });

  it("two runs with the real source differ", async () => {
    const a = await randHex();
    const b = await randHex();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).not.toBe(a);
    const [x, y] = await Promise.all([rand(openssl, 32), rand(openssl, 32)]);
    expect(x).toHaveLength(32);
    expect(y).not.toEqual(x);
  });
});
