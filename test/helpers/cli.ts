import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/** The built CLI, as `npx opensslwrap` runs it (npm test builds dist/ before vitest). */
export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs `opensslwrap ARGS...` in `cwd`, with `input` on its stdin. */
export function cli(args: readonly string[], cwd: string, input?: Uint8Array | string, env: NodeJS.ProcessEnv = process.env): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, input, env, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** A maker of fresh numbered folders under `root` for CLI runs, each holding `files`. */
export function folders(root: string): (files?: Record<string, Uint8Array | string>) => string {
  let n = 0;
  return (files = {}) => {
    const dir = path.join(root, `w${n++}`);
    fs.mkdirSync(dir);
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
    return dir;
  };
}
