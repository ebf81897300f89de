import * as path from "node:path";
import { configDirectory, OPENSSLDIR } from "../../openssl/config.js";
import type { OpenSSL } from "../../openssl/index.js";
import { HostDirectory, runWasi } from "../../wasi/index.js";
import { nodeHostFs } from "./fs.js";
import { hostInput, hostOutput } from "./stdio.js";

/**
 * Runs the bundled OpenSSL command line on the real filesystem, with this process's stdio, and
 * returns its exit code. The guest sees the host's root as "/" and starts in the host's working
 * folder (see scripts/openssl-wasm/0002), so relative and absolute paths both mean what they say.
 */
export async function runHostOpenSSL(openssl: OpenSSL, args: readonly string[]): Promise<number> {
  const module = await openssl.module();
  const cwd = process.cwd();
  const root = path.parse(cwd).root;
  const guestCwd = `/${path.relative(root, cwd).split(path.sep).join("/")}`;
  return runWasi(module, {
    args: ["openssl", ...args],
    env: [`OPENSSLWRAP_CWD=${guestCwd}`],
    preopens: [
      { name: "/", dir: new HostDirectory(nodeHostFs, root) },
      { name: OPENSSLDIR, dir: configDirectory() },
    ],
    stdin: hostInput(),
    stdout: hostOutput(1),
    stderr: hostOutput(2),
  });
}
