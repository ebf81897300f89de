/**
 * vitest's global set-up: the build the tests also run (the CLI from dist/cli, worker threads from
 * dist/runtime, the browser bundle and page from dist/browser and dist/web) is made from the
 * sources under test before any test runs, when a source is newer than it. Without this, a test
 * run after editing src/ would mix the new sources with an old build's workers.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.dirname(new URL(import.meta.url).pathname);
/** One output of each build step: the oldest must be newer than every source. */
const OUTPUTS = ["dist/index.js", "dist/browser/opensslwrap.js", "dist/web/worker.js", "dist/upload/opensslwrap-upload.js"].map((p) => path.join(root, p));

function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  const sources = Math.max(newest(path.join(root, "src")), newest(path.join(root, "web")));
  const built = Math.min(...OUTPUTS.map((p) => (fs.existsSync(p) ? fs.statSync(p).mtimeMs : 0)));
  if (built >= sources) return;
  execFileSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
}
