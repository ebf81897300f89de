import { configDirectory, OPENSSLDIR } from "../../openssl/config.js";
import type { OpenSSL } from "../../openssl/index.js";
import { Errno, FsError, HostDirectory, runWasi, type DirNode, type InputStream, type OutputStream, type RunOptions } from "../../wasi/index.js";
import { guestEnvironment, guestView, UnsupportedPathError, type PathPlatform } from "./guest-view.js";
import { nodeHostFs } from "./fs.js";
import { hostInput, hostOutput } from "./stdio.js";

/** The host as the `openssl` verb shows it to the guest (tests give a simulated Windows one). */
export interface PassthroughHost {
  platform: PathPlatform;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** The host folder at a root: "/", or on Windows "C:\" or "\\server\share\". */
  folder(root: string): DirNode;
  stdin: InputStream;
  stdout: OutputStream;
  stderr: OutputStream;
}

/**
 * What the guest gets: the host's environment and stdio, the host's files under "/" (mapped
 * from Windows paths on win32) and the built-in configuration folder.
 */
export function passthroughOptions(args: readonly string[], host: PassthroughHost): RunOptions {
  const view = guestView(host.cwd, host.platform);
  const folders = new Map<string, DirNode>();
  const refused = new Set<string>();
  const mapPath = (guestPath: string) => {
    try {
      const { root, path } = view.locate(guestPath);
      let dir = folders.get(root);
      if (dir === undefined) folders.set(root, (dir = host.folder(root)));
      return { dir, path };
    } catch (e) {
      if (!(e instanceof UnsupportedPathError)) throw e;
      // OpenSSL's own line names the path with "Not supported"; ours, once, says why.
      if (!refused.has(e.message)) host.stderr.write(new TextEncoder().encode(`opensslwrap: ${e.message}\n`));
      refused.add(e.message);
      throw new FsError(Errno.NOTSUP, e.message);
    }
  };
  return {
    args: ["openssl", ...args],
    env: guestEnvironment(host.env, view.cwd),
    preopens: [
      { name: "/", dir: host.folder(view.root), mapPath },
      { name: OPENSSLDIR, dir: configDirectory() },
    ],
    stdin: host.stdin,
    stdout: host.stdout,
    stderr: host.stderr,
  };
}

/**
 * Runs the bundled OpenSSL command line on the real filesystem, with this process's stdio and
 * environment, and returns its exit code. The guest starts in the host's working folder (see
 * scripts/openssl-wasm/0002), so relative and absolute paths both mean what they say.
 */
export async function runHostOpenSSL(openssl: OpenSSL, args: readonly string[]): Promise<number> {
  return runWasi(
    await openssl.module(),
    passthroughOptions(args, {
      platform: process.platform === "win32" ? "win32" : "posix",
      cwd: process.cwd(),
      env: process.env,
      folder: (root) => new HostDirectory(nodeHostFs, root),
      stdin: hostInput(),
      stdout: hostOutput(1),
      stderr: hostOutput(2),
    }),
  );
}
