import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * Constant memory whatever the size: scripts/stream-check.mjs encrypts and decrypts a pattern
 * file through the product (each step in its own process) and reports the peak RSS. Default
 * 64 MiB; OPENSSLWRAP_BIG=1 runs 4.5 GiB (beyond wasm32's 4 GiB memory), for both engines.
 */
const SCRIPT = fileURLToPath(new URL("../scripts/stream-check.mjs", import.meta.url));
const big = process.env["OPENSSLWRAP_BIG"] === "1";
const gib = big ? "4.5" : "0.0625";

describe(`streaming a ${gib} GiB file`, () => {
  for (const engine of ["auto", "wasm"]) {
    it(`round-trips with engine ${engine} in bounded memory`, { timeout: big ? 3_600_000 : 120_000 }, () => {
      const r = spawnSync(process.execPath, [SCRIPT, gib, engine], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { roundTrip: boolean; encrypt: { maxRssMiB: number }; decrypt: { maxRssMiB: number } };
      console.log(r.stdout.trim());
      expect(report.roundTrip).toBe(true);
      expect(report.encrypt.maxRssMiB).toBeLessThan(128);
      expect(report.decrypt.maxRssMiB).toBeLessThan(128);
    });
  }
});
