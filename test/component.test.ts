/**
 * The engine as a WASI 0.2 component (scripts/component.mjs): made with jco (a devDependency)
 * from the pinned wasm/openssl.wasm, then checked through `jco run`: version, a SHA-256 known
 * answer on stdin, random bytes, an RSA key, a file read and a file written through a preopened
 * folder, and a refused command's exit code. Each `jco run` transpiles the component first
 * (~10 s), hence the long timeout.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

describe("WASI 0.2 component", () => {
  it("jco makes a working WASI 0.2 component of wasm/openssl.wasm", () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "component.mjs")], { cwd: ROOT, encoding: "utf8", timeout: 400_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    for (const check of ["version", "SHA-256 known answer on stdin", "random bytes", "RSA-2048 key to stdout", "file I/O: reads /data/abc.txt, writes /data/digest.txt", "exit code of a refused command passes through"]) {
      expect(r.stdout, check).toContain(`component: ok   ${check}`);
    }
    expect(r.stdout).toMatch(/all checks passed/);
    const component = fs.readFileSync(path.join(ROOT, "build", "openssl.component.wasm"));
    // A component binary: "\0asm", then version 0x0d and layer 1 (a core module has version 1, layer 0).
    expect([...component.subarray(0, 8)]).toEqual([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
  }, 420_000);
});
