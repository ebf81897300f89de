import { spawnSync } from "node:child_process";
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
