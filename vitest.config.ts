import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // test/deno/ holds Deno.test suites, run by `npm run test:deno`.
    exclude: [...configDefaults.exclude, "test/deno/**"],
    testTimeout: 60_000,
    // beforeAll hooks make keys with the host openssl: over vitest's 10 s default on a busy 2-core machine.
    hookTimeout: 60_000,
    // Each wasm command is CPU-bound and synchronous; two workers match the two-core machines.
    maxWorkers: 2,
  },
});
