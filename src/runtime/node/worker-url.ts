import * as fs from "node:fs";

/**
 * The script of a worker thread that sits beside this module in the build (`name`: e.g.
 * "mac-worker.js"). Run from the TypeScript sources (vitest), there is no .js here: the build's is
 * used, which the test set-up makes from the same sources before any test runs (vitest.setup.ts).
 */
export function workerScript(name: string): URL {
  const here = new URL(`./${name}`, import.meta.url);
  return import.meta.url.endsWith(".ts") && !fs.existsSync(here) ? new URL(`../../../dist/runtime/node/${name}`, import.meta.url) : here;
}
