import * as fs from "node:fs";
import * as path from "node:path";

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
