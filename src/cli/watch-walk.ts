import * as fs from "node:fs";
import * as path from "node:path";
import { matcher } from "./glob.js";

/**
 * The regular files under `root` (only its own without `recursive`), skipping what `skipped`
 * names (and not descending into skipped folders) and symbolic links; unreadable folders are
 * passed over. Paths are joined to `root` as chokidar joins them.
 */
export function filesUnder(root: string, recursive: boolean, skipped: (p: string) => boolean): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const p = path.join(dir, entry.name);
      if (skipped(p)) continue;
      if (entry.isFile()) files.push(p);
      else if (recursive && entry.isDirectory()) walk(p);
    }
  };
  walk(root);
  return files;
}

/** A part of a --pattern: glob.ts's wildcards, or (none) the name itself; case-insensitive either way. */
function partTest(part: string): (name: string) => boolean {
  return matcher(part) ?? ((name) => name.toLowerCase() === part.toLowerCase());
}

/**
 * A --pattern as a test of a file's path under the folder ("/"-separated). Without a slash it
 * tests the file's name (`*`, `?`, `[a-z]`, `[!a-z]` as on the command line on Windows, see
 * glob.ts); with one, each part of the path in turn, a part `**` standing for any number of
 * folders. A wildcard does not match a leading dot.
 */
export function patternTest(glob: string): (rel: string) => boolean {
  if (!glob.includes("/")) {
    const name = partTest(glob);
    return (rel) => name(rel.slice(rel.lastIndexOf("/") + 1));
  }
  const parts = glob.split("/").map((p) => (p === "**" ? undefined : partTest(p)));
  const from = (i: number, names: readonly string[], j: number): boolean => {
    if (i === parts.length) return j === names.length;
    const test = parts[i];
    if (test === undefined) {
      for (let k = j; k <= names.length; k++) if (from(i + 1, names, k)) return true;
      return false;
    }
    return j < names.length && test(names[j] ?? "") && from(i + 1, names, j + 1);
  };
  return (rel) => from(0, rel.split("/"), 0);
}
