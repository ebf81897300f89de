import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "./args.js";

/**
 * File patterns for shells that do not expand them. cmd.exe and PowerShell hand `*.csv` to the
 * program as it was typed; POSIX shells (and Git Bash on Windows) expand it before. So on Windows
 * only, an argument that names no file but has a pattern in its last part is expanded here: `*`
 * (any characters), `?` (one character), `[abc]`, `[a-z]`, `[!a-z]` or `[^a-z]` (one character of
 * a set, or not of it); case-insensitively, as Windows names are; sorted. A pattern in a folder
 * part is not expanded. Like a POSIX shell, `*` and `?` do not match a leading dot (temp files
 * `.NAME.tmp-*` stay out). Patterns match files only: the verbs take files. A pattern that matches
 * nothing is a usage error, before any file is touched.
 */

/** The two questions patterns ask of a folder. */
export interface FolderReader {
  exists(p: string): boolean;
  /** Names of the files (not folders) in `dir`; undefined if it cannot be read. */
  files(dir: string): string[] | undefined;
}

const nodeFolders: FolderReader = {
  exists: (p) => fs.existsSync(p),
  files(dir) {
    try {
      return fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isFile() || (e.isSymbolicLink() && fs.statSync(path.join(dir, e.name), { throwIfNoEntry: false })?.isFile() === true))
        .map((e) => e.name);
    } catch {
      return undefined;
    }
  },
};

/** The file arguments of a verb, with patterns expanded where the shell did not (Windows). */
export function fileArgs(args: readonly string[]): string[] {
  return expandPatterns(args, process.platform, nodeFolders);
}

/** `args` with each pattern replaced by the files it matches, on `platform` (a `process.platform` value). */
export function expandPatterns(args: readonly string[], platform: string, folders: FolderReader): string[] {
  if (platform !== "win32") return [...args];
  return args.flatMap((arg) => {
    const cut = Math.max(arg.lastIndexOf("/"), arg.lastIndexOf("\\")) + 1;
    const prefix = arg.slice(0, cut);
    const pattern = arg.slice(cut);
    if (folders.exists(arg)) return [arg];
    const match = matcher(pattern);
    if (match === undefined) return [arg];
    const found = (folders.files(prefix === "" ? "." : prefix) ?? []).filter(match).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (found.length === 0) throw new UsageError(`no file matches ${arg}`);
    return found.map((name) => prefix + name);
  });
}

/** A test of names against `pattern` (case-insensitive), or undefined if it has no wildcard; a UsageError if it is not a valid one. */
export function matcher(pattern: string): ((name: string) => boolean) | undefined {
  let source = "";
  let wild = false;
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? "";
    if (c === "*" || c === "?") {
      source += c === "*" ? ".*" : ".";
      wild = true;
    } else if (c === "[") {
      const set = bracket(chars, i);
      if (set === undefined) {
        source += "\\[";
      } else {
        source += set.source;
        i = set.end;
        wild = true;
      }
    } else {
      source += escape(c);
    }
  }
  if (!wild) return undefined;
  let re: RegExp;
  try {
    re = new RegExp(`^${source}$`, "isu");
  } catch {
    throw new UsageError(`${pattern} is not a valid pattern (a range such as [z-a]?)`);
  }
  const dotted = pattern.startsWith(".");
  return (name) => (dotted || !name.startsWith(".")) && re.test(name);
}

/** The set that opens at `chars[open]` as a RegExp class, and the index of its `]`; undefined if it does not close. */
function bracket(chars: readonly string[], open: number): { source: string; end: number } | undefined {
  let i = open + 1;
  const negate = chars[i] === "!" || chars[i] === "^";
  if (negate) i++;
  let body = "";
  // A `]` right after the opening (or after `!`) is a member, as in POSIX shells.
  for (let first = true; i < chars.length; i++, first = false) {
    const c = chars[i] ?? "";
    if (c === "]" && !first) return { source: `[${negate ? "^" : ""}${body}]`, end: i };
    body += c === "-" && !first && chars[i + 1] !== "]" ? "-" : escapeInSet(c);
  }
  return undefined;
}

function escape(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

function escapeInSet(c: string): string {
  return /[\\\]^[-]/.test(c) ? `\\${c}` : c;
}
