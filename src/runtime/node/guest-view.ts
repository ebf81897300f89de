/**
 * How the `openssl` verb shows the host to the wasm OpenSSL: its working folder, its environment
 * and its paths. Pure functions of the host's state (platform, working folder, environment), so
 * that the Windows rules are tested on any machine.
 *
 * The guest sees one tree, "/": on POSIX the host's root; on Windows the root of the current drive
 * (or network share). WASI paths are POSIX paths, so on Windows every path the guest opens is
 * mapped back: drive letters, backslashes, "\\server\share" and "\rooted" paths mean what they
 * mean to a native Windows program.
 */

export type PathPlatform = "win32" | "posix";

/** The variable through which the guest learns its working folder (scripts/openssl-wasm/0002). */
export const CWD_VARIABLE = "OPENSSLWRAP_CWD";

/** A path on the host: a root ("/", "C:\", "\\server\share\") and the POSIX-style path below it ("." for the root itself). */
export interface HostLocation {
  root: string;
  path: string;
}

export interface GuestView {
  /** The host folder the guest sees as "/". */
  root: string;
  /** The guest's working folder, e.g. "/home/ana/data"; for C:\Users\ana, "/Users/ana". */
  cwd: string;
  /** Where a path the guest opens below "/" (no leading slash, already joined to its working folder) leads on the host. */
  locate(guestPath: string): HostLocation;
}

/** A Windows path that the `openssl` verb does not open, with the reason. */
export class UnsupportedPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedPathError";
  }
}

/** Names of a path, either separator, without empty names and ".", with ".." applied (never above the root, as on Windows). */
function names(path: string): string[] {
  const out: string[] = [];
  for (const name of path.split(/[\\/]/)) {
    if (name === "..") out.pop();
    else if (name !== "" && name !== ".") out.push(name);
  }
  return out;
}

/** The root of an absolute Windows path ("C:\", "\\server\share\") and the rest; undefined when the path is relative to something. */
function win32Absolute(path: string): { root: string; rest: string } | undefined {
  if (/^[\\/]{2}[?.]([\\/]|$)/.test(path)) {
    throw new UnsupportedPathError(`${path}: device and verbatim paths (\\\\.\\..., \\\\?\\...) are not supported; write the plain path (C:\\... or \\\\server\\share\\...)`);
  }
  const unc = /^[\\/]{2}([^\\/]+)[\\/]+([^\\/]+)(.*)$/.exec(path);
  if (unc !== null) return { root: `\\\\${unc[1]}\\${unc[2]}\\`, rest: unc[3] ?? "" };
  if (/^[\\/]{2}/.test(path)) throw new UnsupportedPathError(`${path}: a network path needs a server and a share name (\\\\server\\share\\...)`);
  const drive = /^([A-Za-z]):[\\/](.*)$/.exec(path);
  if (drive !== null) return { root: `${(drive[1] ?? "").toUpperCase()}:\\`, rest: drive[2] ?? "" };
  return undefined;
}

function location(root: string, parts: string[]): HostLocation {
  return { root, path: parts.length === 0 ? "." : parts.join("/") };
}

/**
 * A Windows path as a native program in `cwd` reads it. "D:name" (relative to drive D's own
 * working folder in cmd.exe) is relative to `cwd` on its drive and to the drive's root on another:
 * a process has one working folder.
 */
export function win32Location(path: string, cwd: string): HostLocation {
  const here = win32Absolute(cwd);
  if (here === undefined) throw new Error(`the working folder ${cwd} is not an absolute Windows path`);
  const absolute = win32Absolute(path);
  if (absolute !== undefined) return location(absolute.root, names(absolute.rest));
  const driveRelative = /^([A-Za-z]):(.*)$/.exec(path);
  if (driveRelative !== null) {
    const root = `${(driveRelative[1] ?? "").toUpperCase()}:\\`;
    const rest = driveRelative[2] ?? "";
    return root === here.root ? location(root, names(`${here.rest}\\${rest}`)) : location(root, names(rest));
  }
  if (/^[\\/]/.test(path)) return location(here.root, names(path)); // "\keys": the current drive's root
  return location(here.root, names(`${here.rest}\\${path}`));
}

export function guestView(hostCwd: string, platform: PathPlatform): GuestView {
  if (platform === "posix") return { root: "/", cwd: hostCwd, locate: (path) => ({ root: "/", path }) };
  const here = win32Location(".", hostCwd);
  const cwdBelowRoot = here.path === "." ? "" : here.path;
  return {
    root: here.root,
    cwd: `/${cwdBelowRoot}`,
    locate(guestPath) {
      // wasi-libc joins a relative path to the working folder: what follows it is what was typed.
      // Anything else was typed as a guest-absolute path ("/Users/ana/k.pem"), i.e. on the current drive.
      let typed = `/${guestPath}`;
      if (cwdBelowRoot === "") typed = guestPath;
      else if (guestPath === cwdBelowRoot) typed = ".";
      else if (guestPath.startsWith(`${cwdBelowRoot}/`)) typed = guestPath.slice(cwdBelowRoot.length + 1);
      return win32Location(typed, hostCwd);
    },
  };
}

/**
 * The guest's environment: the host's, as a native program gets it (OPENSSL_CONF, `$ENV::NAME`
 * in configuration files, `-passin env:NAME`), plus the working folder in CWD_VARIABLE, which
 * the host's own value of that name never overrides. Windows' hidden per-drive variables ("=C:")
 * have no NAME=VALUE form and are left out.
 */
export function guestEnvironment(hostEnv: Readonly<Record<string, string | undefined>>, guestCwd: string): string[] {
  const env: string[] = [];
  for (const [name, value] of Object.entries(hostEnv)) {
    if (value !== undefined && name !== "" && !name.includes("=") && name !== CWD_VARIABLE) env.push(`${name}=${value}`);
  }
  env.push(`${CWD_VARIABLE}=${guestCwd}`);
  return env;
}
