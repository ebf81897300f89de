import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cli, CLI } from "./cli.js";

/** A running `opensslwrap watch`: its stdout and stderr lines so far, and its exit (code, or signal name) once its output is all read. */
export interface Running {
  proc: ChildProcess;
  out: string[];
  err: string[];
  exit: Promise<number | string | null>;
}

function collect(stream: NodeJS.ReadableStream | null, into: string[]): void {
  let rest = "";
  stream?.setEncoding("utf8");
  stream?.on("data", (chunk: string) => {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop() ?? "";
    into.push(...parts);
  });
}

export function startWatch(args: readonly string[], cwd: string): Running {
  const proc = spawn(process.execPath, [CLI, "watch", ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  const out: string[] = [];
  const err: string[] = [];
  collect(proc.stdout, out);
  collect(proc.stderr, err);
  // "close", not "exit": a killed process's last lines can still be in the pipe when it exits.
  const exit = new Promise<number | string | null>((resolve) => proc.on("close", (code, signal) => resolve(code ?? signal)));
  return { proc, out, err, exit };
}

/** Waits (polling) until `cond` holds; fails naming `what` after `ms`. */
export async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts a watcher and waits for its "watching" line (the initial scan is done). */
export async function watching(args: readonly string[], cwd: string): Promise<Running> {
  const r = startWatch(args, cwd);
  await until(`the watcher to start (stderr: ${r.err.join(" | ")})`, () => r.err.some((l) => l.includes("watching")));
  return r;
}

/** Stops a watcher with SIGINT and returns its exit code. */
export async function stopWatch(r: Running): Promise<number | string | null> {
  r.proc.kill("SIGINT");
  return r.exit;
}

/** Names in `dir` (not recursive), sorted. */
export const names = (dir: string): string[] => fs.readdirSync(dir).sort();

/** The file a success line of the text output names (`TIME FILE SIZE bytes -> BUNDLE`). */
export const lineFile = (line: string): string | undefined => /^\S+ (.+) \d+ bytes -> /.exec(line)?.[1];

/** Decrypts bundles (in a scratch copy, so nothing lands next to them) and returns each one's plaintext by bundle path. */
export function decryptAll(bundles: readonly string[], privKey: string): Map<string, Buffer> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "osw-watch-dec-"));
  try {
    const copies = bundles.map((b, i) => {
      const copy = path.join(scratch, `${i}.enc`);
      fs.copyFileSync(b, copy);
      return copy;
    });
    const r = cli(["decrypt", ...copies, "--privkey", privKey, "--json"], scratch);
    if (r.status !== 0) throw new Error(`decrypt failed: ${r.stderr}`);
    // One JSON object per bundle and line.
    const outputs = r.stdout.toString().trim().split("\n").map((l) => JSON.parse(l) as { path: string; output: string });
    return new Map(outputs.map((o, i) => [bundles[i] ?? "", fs.readFileSync(path.resolve(scratch, o.output))]));
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** A process id that has ended (for claims left by a killed watcher). */
export function deadPid(): number {
  const pid = spawnSync(process.execPath, ["-e", ""]).pid;
  if (pid === undefined) throw new Error("no child process");
  return pid;
}

/** Writes the claim a watcher on `host` with `pid` would have left on `file`, as `file` is now. */
export function leaveClaim(file: string, pid: number, host = os.hostname()): string {
  const st = fs.lstatSync(file, { bigint: true });
  const claim = path.join(path.dirname(file), `.${path.basename(file)}.watch-claim`);
  const id = { dev: String(st.dev), ino: String(st.ino), bornNs: String(st.birthtimeNs), size: String(st.size), mtimeNs: String(st.mtimeNs) };
  fs.writeFileSync(claim, JSON.stringify({ host, pid, id }));
  return claim;
}
