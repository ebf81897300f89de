/**
 * The host's `openssl` (3.0.x on the CI machines) as an independent referee for interop tests.
 * Each call runs in its own temporary folder, removed afterwards: inputs are written there under
 * plain names, the command refers to them by those names, and the named outputs are read back.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface HostOptions {
  /** Files written to the work folder before the run, by plain name (no slashes). */
  inputs?: Record<string, Uint8Array | string>;
  /** Names of files to read back after the run. */
  outputs?: readonly string[];
  stdin?: Uint8Array;
}

export interface HostResult {
  status: number;
  stdout: Uint8Array;
  stderr: string;
  /** An output named in `outputs`; throws when the command did not write it. */
  file(name: string): Uint8Array;
}

function plainName(name: string): string {
  if (name === "" || name.includes("/") || name.startsWith(".")) throw new Error(`host work file names are plain names: ${name}`);
  return name;
}

/** Runs `openssl ARGS` in a fresh temporary folder and reports its exit status (never throws on a non-zero one). */
export function hostTry(args: readonly string[], o: HostOptions = {}): HostResult {
  const dir = mkdtempSync(join(tmpdir(), "opensslwrap-host-"));
  try {
    for (const [name, content] of Object.entries(o.inputs ?? {})) writeFileSync(join(dir, plainName(name)), content);
    const r = spawnSync("openssl", args, { cwd: dir, input: o.stdin ?? new Uint8Array(0), maxBuffer: 64 << 20 });
    if (r.error !== undefined) throw new Error(`cannot run host openssl: ${r.error.message}`);
    const outputs = new Map<string, Uint8Array>();
    for (const name of o.outputs ?? []) {
      const path = join(dir, plainName(name));
      if (existsSync(path)) outputs.set(name, new Uint8Array(readFileSync(path)));
    }
    return {
      status: r.status ?? -1,
      stdout: new Uint8Array(r.stdout),
      stderr: r.stderr.toString("utf8"),
      file(name) {
        const bytes = outputs.get(name);
        if (bytes === undefined) throw new Error(`host openssl ${args.join(" ")} wrote no ${name}`);
        return bytes;
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Like `hostTry`, but a non-zero exit is an error carrying openssl's stderr. */
export function host(args: readonly string[], o: HostOptions = {}): HostResult {
  const r = hostTry(args, o);
  if (r.status !== 0) throw new Error(`host openssl ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r;
}

/** The host openssl's version line, e.g. "OpenSSL 3.0.19 27 Jan 2026 (...)". */
export function hostVersion(): string {
  return new TextDecoder().decode(host(["version"]).stdout).trim();
}
