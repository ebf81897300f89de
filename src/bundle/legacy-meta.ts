import { jsonTooDeep, MAX_META_DEPTH } from "./meta.js";

/**
 * The meta-data members of legacy bundles: informational, never needed to decrypt, but they
 * record the SHA-256 of the data member and the OpenSSL version (hence the key-derivation digest).
 */

export interface MetaFacts {
  meta: Record<string, unknown>;
  /** Base name of the original file, when recorded. */
  originalName?: string;
  opensslVersion?: string;
  /** Lowercase 64-digit hex, only when a well-formed value is recorded. */
  ciphertextSha256?: string;
  /** The field that records the data's SHA-256 when its value is not 64 hex digits (a refusal, not "no hash"). */
  malformedSha256Field?: string;
}

/** Sets an own property even for names such as `__proto__` (meta-data come from anywhere). */
function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);

/** Last path component of a POSIX or Windows path. */
export function baseName(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const name = path.split(/[\\/]/).pop()?.trim();
  return name === undefined || name === "" || name === "." || name === ".." ? undefined : name;
}

/**
 * The recorded SHA-256 of the data member, from the first of `fields` that `entry` has: a value
 * that is not 64 hex digits is reported as malformed, never read as "no hash" (which would turn
 * the check off).
 */
function sha256Facts(entry: Record<string, unknown>, fields: readonly string[]): Pick<MetaFacts, "ciphertextSha256" | "malformedSha256Field"> {
  const field = fields.find((f) => own(entry, f) !== undefined);
  if (field === undefined) return {};
  const v = own(entry, field);
  const s = typeof v === "string" ? v.trim() : "";
  return /^[0-9a-fA-F]{64}$/.test(s) ? { ciphertextSha256: s.toLowerCase() } : { malformedSha256Field: field };
}

/** `key: value` lines into an object, later keys replacing earlier ones; `---` marker lines skipped. */
function keyValues(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.startsWith("---")) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    put(out, line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return out;
}

/**
 * PsychoPy opensslwrap (2012): `key: value` lines ending with `--- end of meta-data <date> ---`;
 * after a key rotation the old text, a blank line, `--- key rotation: ---` and the new block.
 * `meta` holds every key (the last value wins); the facts come from the last block only, which
 * describes the current data member.
 */
export function parse2012Meta(text: string): MetaFacts {
  const meta = keyValues(text);
  const blocks = text.split(/^--- key rotation:.*$/m);
  const last = keyValues(blocks[blocks.length - 1] ?? "");
  return {
    meta,
    originalName: baseName(str(own(last, "orig file path"))),
    opensslVersion: str(own(last, "openssl version")),
    ...sha256Facts(last, ["HMAC-sha256 of encrypted file"]),
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * pyFileSec (0.2.x): JSON `{"meta-data <date>": {...}, ...}`, one entry per encryption or rotation.
 * The most recent entry is the last in sorted key order (dates are written to sort; a suppressed
 * date sorts first), as pyFileSec itself chose it. Field names of earlier versions are accepted too.
 * Unparseable JSON gives empty facts: the meta-data are informational.
 */
export function parsePyFileSecMeta(text: string): MetaFacts {
  // Nesting deeper than any real meta-data is treated as unparseable: the parsed value is shown by
  // `info --json`, and JSON.stringify of a value nested 100000 deep overflows the stack.
  if (jsonTooDeep(text, MAX_META_DEPTH)) return { meta: {} };
  let parsed: unknown;
  try {
    parsed = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    return { meta: {} };
  }
  if (!isRecord(parsed)) return { meta: {} };
  const keys = Object.keys(parsed).sort();
  const latestKey = keys.filter((k) => isRecord(parsed[k])).pop();
  const latest = latestKey === undefined ? {} : (parsed[latestKey] as Record<string, unknown>);
  return {
    meta: parsed,
    originalName: baseName(str(own(latest, "clear_text")) ?? str(own(latest, "clear-text-file"))),
    opensslVersion: str(own(latest, "openssl")),
    ...sha256Facts(latest, ["hash of cipher_text", "sha256 of encrypted file"]),
  };
}

/**
 * Key-derivation digests to try, most likely first. `enc -pass` used MD5 before OpenSSL 1.1.0 and
 * SHA-256 from 1.1.0 on; unknown versions (absent, LibreSSL, garbled) try MD5 first, the digest of
 * the 2012-2016 era.
 */
export function kdfDigests(opensslVersion: string | undefined): ["md5" | "sha256", "md5" | "sha256"] {
  const m = /^\s*OpenSSL\s+(\d+)\.(\d+)\.(\d+)/i.exec(opensslVersion ?? "");
  if (m === null) return ["md5", "sha256"];
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 1 || (major === 1 && minor >= 1) ? ["sha256", "md5"] : ["md5", "sha256"];
}
