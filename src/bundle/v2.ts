import { dgstSign, oaepDecrypt, OpenSSLError, type KeyInput } from "../openssl/index.js";
import { sha256Hex } from "../openssl/engine.js";
import type { FileNode, FileStorage } from "../wasi/index.js";
import { bulkFor, type Bulk, type Engine } from "./bulk.js";
import { CtrPlaintextView } from "./ctr.js";
import { DecryptError, FormatError, IntegrityError } from "./errors.js";
import { formatHeader, headerLength, MAX_RECIPIENTS, MAX_SIGNERS, parseHeader, type Header } from "./header.js";
import type { RsaPublicKey } from "./keys.js";
import { minimalMeta, parseMeta, serializeMeta, type HistoryEntry, type Meta } from "./meta.js";
import { END, listTar, memberHeader, padding, readMember, type ByteSource } from "./tar.js";
import { CompareSink, ConcatFile, concatBytes, equalBytes, WindowFile } from "./views.js";
import { TOOL_VERSION } from "../version.js";
import { oneTime, SECRET_BYTES, type OneTime } from "./wrap-pool.js";

const TAG_BYTES = 32;

export interface Signer {
  key: KeyInput;
  publicKey: RsaPublicKey;
}

export interface SealOptions {
  recipients: readonly RsaPublicKey[];
  signers?: readonly Signer[];
  /** Base name of the original file (omit to leave it out of the meta-data). */
  name?: string;
  /** ISO time of encryption (omit to leave it out). */
  created?: string;
  note?: string;
  /** Keep only what decryption needs in meta.json. */
  noMeta?: boolean;
  /** Meta-data of earlier encryptions (rotation). */
  history?: HistoryEntry[];
  /** Runtime and OS, e.g. "node v20 linux x64". */
  platform?: string;
  /** The engine's version line (recorded in the meta-data). */
  opensslVersion?: string;
  /** "wasm" forces the bulk cipher and MAC into the wasm engine; "auto" may accelerate them. */
  engine?: Engine;
  /** A secret and IV drawn and wrapped ahead (a `WrapPool`), for exactly `recipients`. */
  oneTime?: OneTime;
  /**
   * Where the original is on disk, if it is: a big payload is then checked as it is written
   * (`Bulk.encryptCheckedAlongside`) instead of in a pass after it.
   */
  originalPath?: string;
}

/** A bundle just written, still holding its one-time secret for the read-back check. */
export interface Sealed {
  size: number;
  meta: Meta;
  /**
   * Re-reads the bundle as written: its small members byte for byte, its payload decrypted and
   * compared with the original (or, when it was checked as it was written, that check's result).
   */
  verify(bundle: ByteSource, original: Pick<FileStorage, "read">): Promise<boolean>;
  /** Zeroes the one-time secret. */
  wipe(): void;
}

function writeAll(out: Pick<FileStorage, "write">, parts: readonly Uint8Array[], at: number): number {
  for (const p of parts) {
    out.write(p, at);
    at += p.length;
  }
  return at;
}

function member(name: string, content: Uint8Array): Uint8Array[] {
  return [memberHeader(name, content.length), content, padding(content.length)];
}

/** The meta-data of a bundle about to be sealed (all of it known before the payload). */
function sealMeta(o: SealOptions, signers: readonly Signer[], size: number): Meta {
  if (o.noMeta === true) return minimalMeta();
  return {
    ...minimalMeta(),
    cipher: "aes-256-ctr",
    mac: "hmac-sha256",
    wrap: "rsa-oaep-sha256",
    recipients: o.recipients.map((r) => ({ fingerprint: r.fingerprint, bits: r.bits })),
    ...(signers.length > 0 ? { signers: signers.map((s) => ({ fingerprint: s.publicKey.fingerprint, padding: "pss" as const })) } : {}),
    file: { ...(o.name !== undefined ? { name: o.name } : {}), size },
    ...(o.created !== undefined ? { created: o.created } : {}),
    tool: `opensslwrap ${TOOL_VERSION}`,
    ...(o.opensslVersion !== undefined ? { openssl: o.opensslVersion } : {}),
    ...(o.platform !== undefined ? { platform: o.platform } : {}),
    ...(o.note !== undefined ? { note: o.note } : {}),
    ...(o.history !== undefined && o.history.length > 0 ? { history: o.history } : {}),
  };
}

/**
 * Encrypts `input` into a v2 bundle written to `out` (random access: the payload goes straight
 * to its place in the archive, the small members around it after). See docs/FORMAT.md.
 */
export async function seal(input: FileNode, out: Pick<FileStorage, "read" | "write">, o: SealOptions): Promise<Sealed> {
  const signers = o.signers ?? [];
  if (o.recipients.length === 0 || o.recipients.length > MAX_RECIPIENTS) throw new RangeError(`between 1 and ${MAX_RECIPIENTS} recipients`);
  if (signers.length > MAX_SIGNERS) throw new RangeError(`at most ${MAX_SIGNERS} signers`);
  const { secret, iv, wrapped } = o.oneTime ?? (await oneTime(o.recipients));
  const key = secret.subarray(0, 32);
  const macKey = secret.subarray(32);
  try {
    if (wrapped.length !== o.recipients.length) throw new RangeError("one wrapped key per recipient");
    const size = input.stat().size;
    // Everything the header binds is known before the payload, so the tag is computed in the same
    // pass as the encryption (docs/DESIGN.md, "Passes over the data").
    const meta = sealMeta(o, signers, size);
    const metaBytes = serializeMeta(meta);
    const header = formatHeader({
      iv,
      payloadBytes: size,
      metaSha256: await sha256Hex(metaBytes),
      recipients: o.recipients.map((r) => r.fingerprint),
      signers: signers.map((s) => s.publicKey.fingerprint),
    });
    if (header.length !== headerLength(o.recipients.length, signers.length)) throw new Error("header length differs from its layout");
    const beforePayload = [...member("header.txt", header), ...wrapped.flatMap((w, i) => member(`key-${i + 1}.oaep`, w)), memberHeader("payload.bin", size)];
    const payloadAt = beforePayload.reduce((n, p) => n + p.length, 0);

    const bulk = await bulkFor(o.engine);
    const payload = new WindowFile(out, payloadAt, size, "write");
    const macPrefix = concatBytes([header, ...wrapped]);
    // With the payload checked as it was written, `verify` below has only the small members left.
    let payloadMatches: boolean | undefined;
    let tag: Uint8Array;
    if (o.originalPath !== undefined && bulk.encryptCheckedAlongside !== undefined && bulk.macAlongside(size)) {
      ({ tag, matches: payloadMatches } = await bulk.encryptCheckedAlongside(input, payload, key, iv, macKey, macPrefix, o.originalPath));
    } else {
      tag = await bulk.encrypt(input, payload, key, iv, macKey, macPrefix);
    }
    if (payload.size() !== size) throw new Error(`encryption wrote ${payload.size()} of ${size} bytes`);
    const signatures: Uint8Array[] = [];
    for (const s of signers) signatures.push(await dgstSign(s.key, new ConcatFile([header, ...wrapped, payload]), "pss"));

    writeAll(out, beforePayload, 0);
    const total = writeAll(
      out,
      [padding(size), ...member("meta.json", metaBytes), ...member("tag.hmac", tag), ...signatures.flatMap((sig, i) => member(`sig-${i + 1}.pss`, sig)), END],
      payloadAt + size,
    );
    return {
      size: total,
      meta,
      // The small members must be the bytes written and the payload must decrypt to the original.
      // The tag was computed over exactly those bytes, so this proves it verifies, without a
      // second HMAC pass over the payload.
      verify: async (bundle, original) => {
        const b = await openBundle(bundle).catch((e: unknown) => {
          if (e instanceof FormatError || e instanceof IntegrityError) return undefined;
          throw e;
        });
        if (b === undefined) return false;
        const same = (a: readonly Uint8Array[], c: readonly Uint8Array[]) => a.length === c.length && a.every((x, i) => equalBytes(x, c[i] ?? new Uint8Array(0)));
        if (!same([b.headerBytes, b.tag, ...b.wrapped, ...b.signatures], [header, tag, ...wrapped, ...signatures])) return false;
        if (payloadMatches !== undefined) return payloadMatches && b.payload.size() === size;
        const compare = new CompareSink(original, bulk.equal);
        await bulk.decrypt(b.payload, compare, key, b.header.iv);
        return compare.matches(size);
      },
      wipe: () => secret.fill(0),
    };
  } catch (e) {
    secret.fill(0);
    throw e;
  }
}

/** A parsed, structurally checked bundle. Nothing secret in it. */
export interface OpenedBundle {
  header: Header;
  headerBytes: Uint8Array;
  meta: Meta;
  wrapped: Uint8Array[];
  tag: Uint8Array;
  signatures: Uint8Array[];
  payload: WindowFile;
}

const MAX_MEMBERS = 1 + MAX_RECIPIENTS + 3 + MAX_SIGNERS;

/**
 * Reads a v2 bundle's structure, refusing any deviation from docs/FORMAT.md: member names and
 * order, sizes, and the header's bindings (payload length, meta-data hash).
 */
export async function openBundle(src: ByteSource): Promise<OpenedBundle> {
  const entries = listTar(src, { maxEntries: MAX_MEMBERS });
  const names = entries.map((e) => e.name);
  const first = entries[0];
  if (first === undefined || first.name !== "header.txt") throw new FormatError("not an opensslwrap bundle (no header.txt)");
  if (first.size > 4096) throw new FormatError("bundle header too large");
  const headerBytes = readMember(src, first);
  const header = parseHeader(headerBytes);
  const n = header.recipients.length;
  const m = header.signers.length;
  const expected = ["header.txt", ...header.recipients.map((_, i) => `key-${i + 1}.oaep`), "payload.bin", "meta.json", "tag.hmac", ...header.signers.map((_, i) => `sig-${i + 1}.pss`)];
  if (names.length !== expected.length || names.some((name, i) => name !== expected[i])) {
    throw new FormatError(`bundle members are not as the format requires (found: ${names.slice(0, 12).join(", ")})`);
  }
  const at = (name: string) => entries[names.indexOf(name)] ?? entries[0];
  const small = (name: string, max: number) => {
    const e = at(name);
    if (e === undefined || e.size > max) throw new FormatError(`bundle member ${name} has a bad size`);
    return readMember(src, e);
  };
  const payloadEntry = at("payload.bin");
  if (payloadEntry === undefined || payloadEntry.size !== header.payloadBytes) throw new IntegrityError("the bundle was altered or corrupted: payload size differs from its header");
  const metaBytes = small("meta.json", 1 << 20);
  if ((await sha256Hex(metaBytes)) !== header.metaSha256) throw new IntegrityError("the bundle was altered or corrupted: meta-data differs from its header");
  const tag = small("tag.hmac", TAG_BYTES);
  if (tag.length !== TAG_BYTES) throw new FormatError("bundle tag has a bad size");
  return {
    header,
    headerBytes,
    meta: parseMeta(metaBytes),
    wrapped: Array.from({ length: n }, (_, i) => small(`key-${i + 1}.oaep`, 2048)),
    tag,
    signatures: Array.from({ length: m }, (_, i) => small(`sig-${i + 1}.pss`, 2048)),
    payload: new WindowFile(src, payloadEntry.offset, payloadEntry.size, "read"),
  };
}

/** Unwraps the one-time secret with the recipient's private key. */
export async function unwrap(b: OpenedBundle, key: KeyInput, publicKey: RsaPublicKey): Promise<Uint8Array> {
  const i = b.header.recipients.indexOf(publicKey.fingerprint);
  const wrapped = b.wrapped[i];
  if (wrapped === undefined) {
    throw new DecryptError(`wrong private key: this key (${publicKey.fingerprint.slice(0, 16)}...) is not a recipient; recipients: ${b.header.recipients.join(", ")}`, b.header.recipients);
  }
  if (wrapped.length !== Math.ceil(publicKey.bits / 8)) throw new IntegrityError("the bundle was altered or corrupted: its wrapped key has the wrong length for this key");
  let secret: Uint8Array;
  try {
    secret = await oaepDecrypt(key, wrapped, "sha256");
  } catch (e) {
    if (!(e instanceof OpenSSLError)) throw e;
    throw new IntegrityError("the bundle was altered or corrupted: its wrapped key does not open with this private key");
  }
  if (secret.length !== SECRET_BYTES) {
    secret.fill(0);
    throw new IntegrityError("the bundle was altered or corrupted: bad one-time secret length");
  }
  return secret;
}

/** What the tag and the signatures cover: the header, every wrapped key in order, the payload. */
export function authenticated(b: OpenedBundle): ConcatFile {
  return new ConcatFile([b.headerBytes, ...b.wrapped, b.payload]);
}

function checkTag(b: OpenedBundle, tag: Uint8Array): void {
  if (!equalBytes(tag, b.tag)) throw new IntegrityError("the bundle was altered or corrupted (integrity check failed); nothing decrypted");
}

/** Checks the tag (encrypt-then-MAC) before anything is decrypted. */
export async function authenticate(b: OpenedBundle, secret: Uint8Array, bulk: Bulk): Promise<void> {
  checkTag(b, await bulk.hmac(secret.subarray(32), authenticated(b)));
}

/** Decrypts the payload of an authenticated bundle into `output`. */
export async function decryptPayload(b: OpenedBundle, secret: Uint8Array, output: FileNode, bulk: Bulk): Promise<void> {
  await bulk.decrypt(b.payload, output, secret.subarray(0, 32), b.header.iv);
}

/**
 * Decrypts the payload into `output` and checks the tag (an IntegrityError if it is wrong):
 * before decrypting, or, when the bulk path runs the MAC on a second thread
 * (`bulk.macAlongside`), after `output` was written: it must then be a temp file, or memory, that
 * the caller discards on error.
 */
export async function decryptVerifying(b: OpenedBundle, secret: Uint8Array, output: FileNode, bulk: Bulk): Promise<void> {
  if (!bulk.macAlongside(b.header.payloadBytes)) {
    await authenticate(b, secret, bulk);
    return decryptPayload(b, secret, output, bulk);
  }
  checkTag(b, await bulk.decryptAlongside(b.payload, output, secret.subarray(0, 32), b.header.iv, secret.subarray(32), concatBytes([b.headerBytes, ...b.wrapped])));
}

/** The plaintext of an authenticated bundle as a virtual file decrypted on demand (for rotation). */
export function plaintextView(b: OpenedBundle, secret: Uint8Array, bulk: Bulk): CtrPlaintextView {
  return new CtrPlaintextView(bulk, b.payload, secret.subarray(0, 32), b.header.iv);
}
