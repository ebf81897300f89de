import { enc, oaepDecrypt, OpenSSLError, type KeyInput } from "../openssl/index.js";
import { sha256Hex, type Context } from "./context.js";
import { DecryptError, FormatError, IntegrityError, KeyTooShortError } from "./errors.js";
import { readPrivateKey } from "./keys.js";
import { gunzipBounded, hasGzipMagic } from "./legacy-gzip.js";
import { kdfDigests, parse2012Meta, parsePyFileSecMeta, type MetaFacts } from "./legacy-meta.js";
import { listTar, readMember, type ByteSource, type TarEntry } from "./tar.js";

/**
 * Reading (never writing) the `.enc` bundles of the tools opensslwrap replaces: PsychoPy's
 * opensslwrap (2012-2013) and pyFileSec 0.2.x (2013-2014). Both are a gzip-compressed tar of
 * `X.aes256` (`openssl enc -aes-256-cbc -a -salt` base64 text), the password RSA-OAEP(SHA-1)
 * wrapped (`X.aes256pwd.rsa`, resp. `X.aes256.pwdrsa`) and optional meta-data `Y.meta`.
 * docs/LEGACY.md describes both layouts.
 */

export type LegacyLayout = "opensslwrap-2012" | "pyfilesec-0.2";

export interface LegacyInfo {
  layout: LegacyLayout;
  /** The data member, e.g. "data.txt.aes256". */
  dataMember: string;
  /** Base name of the original file, from the meta-data when recorded. */
  originalName?: string;
  /** Parsed meta-data: 2012 `key: value` lines as an object (last value wins), pyFileSec JSON as-is. */
  meta: Record<string, unknown>;
  /** The raw meta member text ("" when absent). */
  metaText: string;
  /** As recorded, e.g. "OpenSSL 0.9.8r 8 Feb 2011". */
  opensslVersion?: string;
  /** SHA-256 of the data member as recorded (lowercase hex), if any. */
  ciphertextSha256?: string;
  /** The meta-data field that should record that SHA-256 but holds something else (decryption refuses). */
  malformedSha256Field?: string;
}

/** At most this many members: data, wrapped password, meta-data. */
const MAX_MEMBERS = 3;
/** A wrapped password is one RSA block: up to 16384-bit keys. */
const MAX_WRAPPED = 2048;
const DATA_EXT = ".aes256";
const META_EXT = ".meta";
/** base64 of "Salted__": what `openssl enc -a -salt` output starts with. */
const SALTED_B64 = "U2FsdGVkX1";

const LAYOUT_NAMES: Record<LegacyLayout, string> = {
  "opensslwrap-2012": "PsychoPy opensslwrap (2012)",
  "pyfilesec-0.2": "pyFileSec 0.2",
};

/** True when `head` (the first bytes of a file) starts like a legacy bundle: gzip magic 1f 8b. */
export function isLegacyBundle(head: Uint8Array): boolean {
  return hasGzipMagic(head);
}

/** Whether an archive (read at random) starts like a legacy bundle: one look at its first bytes. */
export function isLegacySource(source: { read(dst: Uint8Array, position: number): number }): boolean {
  const head = new Uint8Array(2);
  return source.read(head, 0) === head.length && isLegacyBundle(head);
}

interface Parsed {
  info: LegacyInfo;
  src: ByteSource;
  data: TarEntry;
  wrapped: TarEntry;
}

const notBundle = (why: string) => new FormatError(`not an opensslwrap bundle (${why})`);

/** The layout a password member's name gives, relative to the data member's name. */
function passwordLayout(dataName: string, name: string): LegacyLayout | undefined {
  if (!name.startsWith(dataName)) return undefined;
  const rest = name.slice(dataName.length);
  // opensslwrap 2012 inserted '+' before "pwd.rsa" on a name clash.
  if (/^\+*pwd\.rsa$/.test(rest)) return "opensslwrap-2012";
  if (rest === ".pwdrsa") return "pyfilesec-0.2";
  return undefined;
}

/** Sorts the members into data, wrapped password and meta-data; anything else is refused. */
function identify(entries: readonly TarEntry[]): { layout: LegacyLayout; data: TarEntry; wrapped: TarEntry; meta?: TarEntry } {
  const names = entries.map((e) => JSON.stringify(e.name)).join(", ");
  const data = entries.filter((e) => e.name.endsWith(DATA_EXT) && e.name.length > DATA_EXT.length);
  const first = data[0];
  if (data.length !== 1 || first === undefined) throw notBundle(`members ${names || "none"}: expected one *${DATA_EXT} data member`);
  const rest = entries.filter((e) => e !== first);
  const wrapped = rest.filter((e) => passwordLayout(first.name, e.name) !== undefined);
  const pwd = wrapped[0];
  if (wrapped.length !== 1 || pwd === undefined) throw notBundle(`members ${names}: expected ${first.name}pwd.rsa or ${first.name}.pwdrsa`);
  const others = rest.filter((e) => e !== pwd);
  const meta = others[0];
  if (others.length > 1 || (meta !== undefined && !(meta.name.endsWith(META_EXT) && meta.name.length > META_EXT.length))) {
    throw notBundle(`members ${names}: unexpected member`);
  }
  const layout = passwordLayout(first.name, pwd.name) ?? "opensslwrap-2012";
  return { layout, data: first, wrapped: pwd, meta };
}

async function parse(bundle: Uint8Array): Promise<Parsed> {
  const src = await gunzipBounded(bundle);
  let entries: TarEntry[];
  try {
    entries = listTar(src, { maxEntries: MAX_MEMBERS, lenient: true });
  } catch (e) {
    if (e instanceof FormatError) throw notBundle(e.message);
    throw e;
  }
  const { layout, data, wrapped, meta } = identify(entries);
  if (wrapped.size === 0 || wrapped.size > MAX_WRAPPED) throw notBundle(`${wrapped.name} is not one RSA block (${wrapped.size} bytes)`);
  const head = new TextDecoder("latin1").decode(readMember(src, { ...data, size: Math.min(data.size, 64) })).trimStart();
  if (!head.startsWith(SALTED_B64)) throw notBundle(`${data.name} is not salted base64 from openssl enc -a -salt`);
  const metaText = meta === undefined ? "" : new TextDecoder().decode(readMember(src, meta));
  const facts: MetaFacts = layout === "opensslwrap-2012" ? parse2012Meta(metaText) : parsePyFileSecMeta(metaText);
  const info: LegacyInfo = { layout, dataMember: data.name, meta: facts.meta, metaText };
  if (facts.originalName !== undefined) info.originalName = facts.originalName;
  if (facts.opensslVersion !== undefined) info.opensslVersion = facts.opensslVersion;
  if (facts.ciphertextSha256 !== undefined) info.ciphertextSha256 = facts.ciphertextSha256;
  if (facts.malformedSha256Field !== undefined) info.malformedSha256Field = facts.malformedSha256Field;
  return { info, src, data, wrapped };
}

/** Reads a legacy bundle's layout and meta-data (no key needed, nothing decrypted). */
export async function readLegacy(bundle: Uint8Array): Promise<LegacyInfo> {
  return (await parse(bundle)).info;
}

/**
 * The original file's name as the bundle records it: from the meta-data, else the data member's
 * name without `.aes256` (`data.txt.aes256` -> `data.txt`, as the historical `decrypt()` named it).
 * Whether the name is usable here is `outputName`'s to judge.
 */
export function legacyOriginalName(info: LegacyInfo): string {
  return info.originalName ?? info.dataMember.slice(0, -DATA_EXT.length);
}

/** The warning for a bundle whose meta-data record no SHA-256 of the data: nothing can tell an altered one. */
export function unprotectedWarning(info: LegacyInfo): string | undefined {
  if (info.ciphertextSha256 !== undefined) return undefined;
  return `${info.dataMember}: this ${LAYOUT_NAMES[info.layout]} bundle records no SHA-256 of its data, and its format cannot detect alteration: check the output`;
}

/** Checks the private key; a key below 2048 bits is fine here: 2012 bundles used 1024-bit keys. */
async function checkKey(ctx: Context, privateKey: KeyInput): Promise<void> {
  try {
    await readPrivateKey(ctx, privateKey);
  } catch (e) {
    if (!(e instanceof KeyTooShortError)) throw e;
  }
}

/**
 * pyFileSec padding: NUL bytes, then `pad=` + 10 digits + NUL + `pyFileSec_padded` + NUL, the
 * digits counting every appended byte. Stripped only when entirely consistent.
 */
export function stripPyFileSecPadding(plain: Uint8Array): Uint8Array {
  const tail = "\0pyFileSec_padded\0";
  const descriptor = 4 + 10; // "pad=" + digits
  const trailer = descriptor + tail.length;
  if (plain.length < trailer) return plain;
  const end = new TextDecoder("latin1").decode(plain.subarray(plain.length - trailer));
  const m = /^pad=(\d{10})\0pyFileSec_padded\0$/.exec(end);
  if (m === null) return plain;
  const count = Number(m[1]);
  if (count < trailer || count > plain.length) return plain;
  const start = plain.length - count;
  for (let i = start; i < plain.length - trailer; i++) if (plain[i] !== 0) return plain;
  return plain.subarray(0, start);
}

/**
 * Decrypts a legacy bundle with the RSA private key its password was wrapped for. Order: bundle
 * structure (FormatError), private key and passphrase (PrivateKeyError, PassphraseError; keys under
 * 2048 bits are accepted for these old bundles), recorded SHA-256 of the data (IntegrityError, also
 * when the field holds no SHA-256; with none recorded see `unprotectedWarning`),
 * password unwrap (DecryptError), data decryption with the recorded era's key-derivation digest,
 * then the other one (DecryptError when neither works).
 */
export async function decryptLegacy(ctx: Context, bundle: Uint8Array, privateKey: KeyInput): Promise<{ plaintext: Uint8Array; info: LegacyInfo }> {
  const { info, src, data, wrapped } = await parse(bundle);
  await checkKey(ctx, privateKey);
  if (info.malformedSha256Field !== undefined) {
    throw new IntegrityError(`the meta-data field "${info.malformedSha256Field}" is not a SHA-256 (64 hex digits): the bundle was altered or corrupted; nothing decrypted`);
  }
  const ciphertext = readMember(src, data);
  if (info.ciphertextSha256 !== undefined && (await sha256Hex(ctx, ciphertext)) !== info.ciphertextSha256) {
    throw new IntegrityError(`${data.name} does not match the SHA-256 recorded in the meta-data: the bundle was altered or corrupted`);
  }
  let password: Uint8Array;
  try {
    password = await oaepDecrypt(ctx.openssl, privateKey, readMember(src, wrapped), "sha1");
  } catch (e) {
    if (!(e instanceof OpenSSLError)) throw e;
    throw new DecryptError(`this private key cannot open this ${LAYOUT_NAMES[info.layout]} bundle`);
  }
  try {
    // 2012 passed a file (`-pass file:`, first line); pyFileSec its bytes on stdin, also read as a
    // line: both reach OpenSSL's own password reader through our in-memory `file:` unchanged.
    const newline = password.indexOf(0x0a);
    const pass = info.layout === "opensslwrap-2012" && newline >= 0 ? password.subarray(0, newline) : password;
    if (pass.length === 0 || pass[0] === 0x0a) throw new DecryptError("the unwrapped password is empty: corrupted bundle");
    for (const md of kdfDigests(info.opensslVersion)) {
      let plaintext: Uint8Array;
      try {
        plaintext = await enc(ctx.openssl, { input: ciphertext, decrypt: true, base64: true, pass, md });
      } catch (e) {
        if (!(e instanceof OpenSSLError)) throw e;
        continue;
      }
      if (info.layout === "pyfilesec-0.2") plaintext = stripPyFileSecPadding(plaintext);
      return { plaintext, info };
    }
    throw new DecryptError("cannot decrypt the data: wrong key-derivation digest or corrupted data");
  } finally {
    password.fill(0);
  }
}
