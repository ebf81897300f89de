import { Errno, FsError } from "./errno.js";
import type { DirNode, Node } from "./nodes.js";

const MAX_DEPTH = 64;

/**
 * Rewrites a path the guest gives below a preopened folder before it is resolved, for a host
 * whose paths are not POSIX (Windows drive letters and backslashes): the folder to resolve from
 * and the POSIX path below it.
 */
export type PathMapper = (path: string) => { dir: DirNode; path: string };

/** Where a path leads: its parent folder and last name (the name may not exist yet). */
export interface Resolved {
  parent: DirNode;
  name: string;
}

/**
 * Resolves `path` below `base` without ever leaving `base`: `..` above it is refused, as WASI
 * requires of paths relative to a preopened folder. Absolute guest paths arrive relative already.
 */
export function resolveParent(base: DirNode, path: string): Resolved {
  if (path.length === 0) throw new FsError(Errno.NOENT);
  if (path.startsWith("/")) throw new FsError(Errno.NOTCAPABLE);
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.length > MAX_DEPTH) throw new FsError(Errno.NAMETOOLONG);
  const ancestors: DirNode[] = [];
  let dir = base;
  const last = parts.pop() ?? ".";
  const up = (): DirNode => {
    const parent = ancestors.pop();
    if (parent === undefined) throw new FsError(Errno.NOTCAPABLE);
    return parent;
  };
  for (const part of parts) {
    if (part === "..") {
      dir = up();
      continue;
    }
    const next = dir.lookup(part, true);
    if (next === undefined) throw new FsError(Errno.NOENT);
    if (next.kind !== "dir") throw new FsError(Errno.NOTDIR);
    ancestors.push(dir);
    dir = next;
  }
  if (last === "..") return { parent: up(), name: "." };
  return { parent: dir, name: last };
}

/** The node at `path`, or undefined when its last name does not exist. */
export function lookup(base: DirNode, path: string, follow: boolean): Node | undefined {
  const { parent, name } = resolveParent(base, path);
  return name === "." ? parent : parent.lookup(name, follow);
}
