import { readFileSync } from "node:fs";
import { compileEngine } from "../openssl/engine.js";

interface Manifest {
  wasm: { sha256: string };
}

/** The wasm and its manifest sit in the package's wasm/ folder, two levels above this module. */
const WASM_DIR = new URL("../../wasm/", import.meta.url);

export async function loadNodeEngine(): Promise<WebAssembly.Module> {
  const manifest = JSON.parse(readFileSync(new URL("manifest.json", WASM_DIR), "utf8")) as Manifest;
  return compileEngine(readFileSync(new URL("openssl.wasm", WASM_DIR)), manifest.wasm.sha256);
}
