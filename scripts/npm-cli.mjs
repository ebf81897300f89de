// Runs npm from the build scripts (pack.mjs, test-portable.mjs): the npm that runs the script when
// it is an npm script (npm_execpath), else `npm` from PATH (through the shell on Windows, where
// it is npm.cmd). No npm dependencies.
import { spawnSync } from 'node:child_process';

/** Runs `npm ARGS` in `cwd`; throws with npm's stderr unless it exits 0. Returns its stdout. */
export function npm(args, { cwd, env = process.env, stdio = 'pipe' } = {}) {
  const cli = process.env.npm_execpath;
  const [cmd, pre] = cli?.endsWith('.js') ? [process.execPath, [cli]] : ['npm', []];
  const r = spawnSync(cmd, [...pre, ...args], { cwd, env, encoding: 'utf8', stdio, shell: cmd === 'npm' && process.platform === 'win32' });
  if (r.error) throw new Error(`cannot run npm: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (exit ${r.status})${r.stderr ? `:\n${r.stderr}` : ''}`);
  return r.stdout ?? '';
}

/** The first result of `npm pack --json ...` (npm prints its JSON array after any other output). */
export function npmPackJson(args, options) {
  const out = npm(['pack', '--json', ...args], options);
  return JSON.parse(out.slice(out.search(/^\[/m)))[0];
}
