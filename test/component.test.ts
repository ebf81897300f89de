/**
 * The engine as a WASI 0.2 component (scripts/component.mjs, run on demand): made with jco from
 * the pinned wasm/openssl.wasm, then checked through `jco run`. Runs only where
 * @bytecodealliance/jco is installed in node_modules; it is not a devDependency (about 150
 * packages, some per-platform), so `npm ci` leaves it out and this test is skipped.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const jco = fs.existsSync(path.join(ROOT, "node_modules", ".bin", "jco"));
const title = jco
  ? "jco makes a working WASI 0.2 component of wasm/openssl.wasm"
  : "jco makes a working WASI 0.2 component of wasm/openssl.wasm (skipped: @bytecodealliance/jco is not installed; npm install --no-save @bytecodealliance/jco@1.35.0 to run it)";

describe("WASI 0.2 component", () => {
  it.skipIf(!jco)(
    title,
    () => {
      const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "component.mjs")], { cwd: ROOT, encoding: "utf8", timeout: 170_000 });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/all checks passed/);
      const component = fs.readFileSync(path.join(ROOT, "build", "openssl.component.wasm"));
      // A component binary: "\0asm", then version 0x0d and layer 1 (a core module has version 1, layer 0).
      expect([...component.subarray(0, 8)]).toEqual([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
    },
    180_000,
  );
});
