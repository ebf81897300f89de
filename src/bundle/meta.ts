import { FormatError } from "./errors.js";
import { FORMAT_VERSION } from "./header.js";

/** meta.json, field by field as docs/FORMAT.md documents it. */
export interface Meta {
  format: "opensslwrap-bundle";
  version: number;
  cipher?: string;
  mac?: string;
  wrap?: string;
  recipients?: { fingerprint: string; bits: number }[];
  signers?: { fingerprint: string; padding: "pss" }[];
  file?: { name?: string; size: number };
  created?: string;
  tool?: string;
  openssl?: string;
  platform?: string;
  note?: string;
  history?: HistoryEntry[];
}

/** An earlier encryption's meta-data, in the history a rotation keeps. */
export type HistoryEntry = (Omit<Meta, "history"> & { rotated?: string }) | LegacyHistoryEntry;

/** A legacy bundle's meta-data, in the history of the v2 bundle that `rotate` converted it to. */
export interface LegacyHistoryEntry {
  /** The legacy layout (docs/LEGACY.md). */
  format: "opensslwrap-2012" | "pyfilesec-0.2";
  /** This bundle was converted from that layout. */
  converted: true;
  /** The data member, e.g. `data.txt.aes256`. */
  data: string;
  /** The meta-data member's text as it was ("" when the bundle had none). */
  meta: string;
  rotated?: string;
}

export const MAX_META_BYTES = 1 << 20;
export const MAX_NOTE_LENGTH = 120;

/** What `--no-meta` keeps: only what identifies the format. */
export function minimalMeta(): Meta {
  return { format: "opensslwrap-bundle", version: FORMAT_VERSION };
}

export function checkNote(note: string): void {
  if (note.length > MAX_NOTE_LENGTH) throw new RangeError(`note longer than ${MAX_NOTE_LENGTH} characters`);
  if (/[\r\n]/.test(note)) throw new RangeError("note must be one line");
}

export function serializeMeta(meta: Meta): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(meta, null, 2)}\n`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Most nesting of arrays and objects accepted in meta-data (real meta-data nest 4 deep). */
export const MAX_META_DEPTH = 64;

/**
 * Whether JSON text nests arrays and objects deeper than `max` (a linear scan, strings skipped).
 * JSON.parse copes with any depth, but JSON.stringify and every recursive walk of the value then
 * overflow the stack: `info --json` and `rotate` of a hostile bundle crashed with a RangeError.
 */
export function jsonTooDeep(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

const STRINGS = ["created", "tool", "openssl", "platform", "note", "cipher", "mac", "wrap", "rotated"];

/**
 * The known fields of a meta-data object (or of a history entry) must have their documented
 * types all the way down: they are read by decrypt (file.name), rotate (note, name, history) and
 * info, and a bundle's meta-data is chosen by whoever made it (anyone with the public key).
 */
function checkFields(value: Record<string, unknown>): void {
  const wrong = (key: string) => new FormatError(`meta-data field ${key} has the wrong type`);
  const has = (o: Record<string, unknown>, key: string) => Object.prototype.hasOwnProperty.call(o, key);
  for (const key of STRINGS) if (has(value, key) && typeof value[key] !== "string") throw wrong(key);
  if (has(value, "note") && typeof value["note"] === "string") {
    try {
      checkNote(value["note"]);
    } catch {
      throw new FormatError(`meta-data field note is not one line of at most ${MAX_NOTE_LENGTH} characters`);
    }
  }
  const file = value["file"];
  if (has(value, "file") && !(isObject(file) && (!has(file, "name") || typeof file["name"] === "string") && (!has(file, "size") || typeof file["size"] === "number"))) throw wrong("file");
  for (const key of ["recipients", "signers"]) {
    const list = value[key];
    if (has(value, key) && !(Array.isArray(list) && list.every((r) => isObject(r) && typeof r["fingerprint"] === "string" && (!has(r, "bits") || typeof r["bits"] === "number")))) throw wrong(key);
  }
  const history = value["history"];
  if (has(value, "history")) {
    if (!Array.isArray(history) || !history.every(isObject)) throw wrong("history");
    for (const entry of history) checkFields(entry);
  }
}

/** Parses meta.json, refusing what is not an object of the right format; unknown fields are kept. */
export function parseMeta(bytes: Uint8Array): Meta {
  if (bytes.length > MAX_META_BYTES) throw new FormatError("meta-data too large");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new FormatError("meta-data is not valid JSON (not UTF-8)");
  }
  if (jsonTooDeep(text, MAX_META_DEPTH)) throw new FormatError(`meta-data nested more than ${MAX_META_DEPTH} deep`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FormatError("meta-data is not valid JSON");
  }
  if (!isObject(value) || value["format"] !== "opensslwrap-bundle" || typeof value["version"] !== "number") throw new FormatError("meta-data is not opensslwrap meta-data");
  if (value["version"] > FORMAT_VERSION) throw new FormatError(`meta-data version ${value["version"]} was made by a newer opensslwrap`);
  checkFields(value);
  return value as unknown as Meta;
}

/**
 * The base name stored for a path: never a folder, never `..`, and no control characters (a name
 * from a bundle becomes a file name and is printed: ESC sequences would reach the terminal).
 */
export function safeBaseName(name: string): string | undefined {
  if (typeof name !== "string") return undefined;
  const base = name.split(/[\\/]/).pop() ?? "";
  // eslint-disable-next-line no-control-regex
  return base === "" || base === "." || base === ".." || /[\u0000-\u001f\u007f-\u009f]/.test(base) ? undefined : base;
}
