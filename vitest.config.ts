import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // test/deno/ holds Deno.test suites, run by `npm run test:deno`.
    exclude: [...configDefaults.exclude, "test/deno/**"],
    testTimeout: 60_000,
    // Set-ups make host keys (RSA generation by the host openssl): seconds on a busy machine.
    hookTimeout: 60_000,
    // Builds dist/ from the sources under test when they changed (workers, CLI, browser bundle).
    globalSetup: ["./vitest.setup.ts"],
    // Each wasm command is CPU-bound and synchronous; two workers match the two-core machines.
    maxWorkers: 2,
  },
});
