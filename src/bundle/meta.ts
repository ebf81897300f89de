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
  ciphertext?: { size: number; sha256: string };
  created?: string;
  tool?: string;
  openssl?: string;
  platform?: string;
  note?: string;
  history?: HistoryEntry[];
}

export type HistoryEntry = Omit<Meta, "history"> & { rotated?: string };

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

/** Parses meta.json, refusing what is not an object of the right format; unknown fields are kept. */
export function parseMeta(bytes: Uint8Array): Meta {
  if (bytes.length > MAX_META_BYTES) throw new FormatError("meta-data too large");
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new FormatError("meta-data is not valid JSON");
  }
  if (!isObject(value) || value["format"] !== "opensslwrap-bundle" || typeof value["version"] !== "number") throw new FormatError("meta-data is not opensslwrap meta-data");
  if (value["version"] > FORMAT_VERSION) throw new FormatError(`meta-data version ${value["version"]} was made by a newer opensslwrap`);
  for (const key of ["file", "ciphertext"]) if (key in value && !isObject(value[key])) throw new FormatError(`meta-data field ${key} has the wrong type`);
  for (const key of ["recipients", "signers", "history"]) if (key in value && !Array.isArray(value[key])) throw new FormatError(`meta-data field ${key} has the wrong type`);
  for (const key of ["created", "tool", "openssl", "platform", "note", "cipher", "mac", "wrap"]) if (key in value && typeof value[key] !== "string") throw new FormatError(`meta-data field ${key} has the wrong type`);
  return value as unknown as Meta;
}

/** The base name stored for a path: never a folder, never `..`. */
export function safeBaseName(name: string): string | undefined {
  const base = name.split(/[\\/]/).pop() ?? "";
  return base === "" || base === "." || base === ".." || base.includes("\0") ? undefined : base;
}
