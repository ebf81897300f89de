import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // Each wasm command is CPU-bound and synchronous; two workers match the two-core machines.
    maxWorkers: 2,
  },
});
