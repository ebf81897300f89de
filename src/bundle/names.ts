/**
 * The file name a decrypted file gets from the original name recorded in its bundle. The
 * recorded name comes from whoever made the bundle, on whatever system: it is used as it is only
 * where the platform that writes the file can hold it unchanged and safely.
 *
 * The rule (also in README.md and SECURITY.md):
 * - on every platform: only the last part of a path is kept (after the last `/` or `\`); a name
 *   that is empty, `.` or `..`, or has control characters (C0, DEL, C1, NUL) is not used (the
 *   output is named after the bundle); a lone UTF-16 surrogate becomes `_`; a name longer than
 *   255 bytes of UTF-8 (Linux, macOS) or 255 UTF-16 units (Windows) is shortened, keeping its
 *   extension;
 * - on Windows ("win32"): each of `< > : " | ? *` becomes `_` (`:` would open an NTFS alternate
 *   data stream); trailing dots and spaces are dropped (Windows drops them itself); a device name
 *   (CON, PRN, AUX, NUL, COM0-9, LPT0-9, with any extension, any case) gets a leading `_`.
 * Every change is told in one warning line.
 */

export interface UsableName {
  /** The output file name; undefined when none is left (the caller names the output after the bundle). */
  name: string | undefined;
  /** What was changed and why, in one line; undefined when the recorded name is used as it is. */
  warning: string | undefined;
}

const NAME_MAX = 255;
/** An extension up to this long is kept when a name is shortened. */
const EXTENSION_MAX = 16;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const WINDOWS_FORBIDDEN = /[<>:"|?*]/g;
const TRAILING_DOTS_SPACES = /[. ]+$/;
/** The part before the first dot, trailing spaces ignored (Windows opens `NUL .txt` as the device too). */
const WINDOWS_DEVICE = /^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]) *(\.|$)/i;

/** The output name for `recorded` on `platform` (a `process.platform` value; "win32" applies Windows' rules). */
export function usableName(recorded: string, platform: string): UsableName {
  const windows = platform === "win32";
  const why: string[] = [];
  let name = recorded.split(/[\\/]/).pop() ?? "";
  if (name !== recorded) why.push("is a path (only its last part is kept)");
  const unusable = name === "" ? "is empty" : name === "." || name === ".." ? `is ${name}` : CONTROL.test(name) ? "has control characters" : undefined;
  if (unusable !== undefined) return { name: undefined, warning: warning(recorded, [...why, unusable], undefined) };
  name = replaced(name, LONE_SURROGATE, "has characters that are not valid Unicode", why);
  if (windows) {
    name = replaced(name, WINDOWS_FORBIDDEN, `has characters Windows forbids in file names (${[...new Set(name.match(WINDOWS_FORBIDDEN))].join(" ")})`, why);
    name = replaced(name, TRAILING_DOTS_SPACES, "ends in dots or spaces, which Windows drops", why, "");
    const device = WINDOWS_DEVICE.exec(name)?.[1];
    if (device !== undefined) {
      name = `_${name}`;
      why.push(`is the device name ${device.toUpperCase()} on Windows`);
    }
  }
  const size = windows ? (s: string) => s.length : (s: string) => new TextEncoder().encode(s).length;
  if (size(name) > NAME_MAX) {
    name = shortened(name, size);
    why.push(`is longer than ${NAME_MAX} ${windows ? "UTF-16 units" : "bytes"}`);
    if (windows) name = name.replace(TRAILING_DOTS_SPACES, "");
  }
  if (name === "") return { name: undefined, warning: warning(recorded, why, undefined) };
  return { name, warning: why.length === 0 ? undefined : warning(recorded, why, name) };
}

/** `name` with `pattern`'s matches replaced (by `_`), noting `reason` in `why` if there were any. */
function replaced(name: string, pattern: RegExp, reason: string, why: string[], by = "_"): string {
  const out = name.replace(pattern, by);
  if (out !== name) why.push(reason);
  return out;
}

/** `name` cut to NAME_MAX as `size` measures it (additive over characters), keeping a short extension and whole characters. */
function shortened(name: string, size: (s: string) => number): string {
  const dot = name.lastIndexOf(".");
  const extension = dot > 0 && name.length - dot <= EXTENSION_MAX ? name.slice(dot) : "";
  const room = NAME_MAX - size(extension);
  let stem = "";
  let used = 0;
  for (const c of name.slice(0, name.length - extension.length)) {
    used += size(c);
    if (used > room) break;
    stem += c;
  }
  return stem + extension;
}

/** The recorded name as a short JSON-style string: control characters (C1 too) escaped, at most 100 units shown. */
function quoted(recorded: string): string {
  const shown = recorded.length > 100 ? `${recorded.slice(0, 100)}...` : recorded;
  return JSON.stringify(shown).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function warning(recorded: string, why: readonly string[], name: string | undefined): string {
  return `the recorded name ${quoted(recorded)} ${why.join(", ")}: ${name === undefined ? "the output is named after the bundle" : `writing ${name}`}`;
}
