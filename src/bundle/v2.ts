import { dgstSign, oaepDecrypt, OpenSSLError, type KeyInput } from "../openssl/index.js";
import type { FileNode, FileStorage } from "../wasi/index.js";
import type { EngineChoice, OpenJob, PayloadProgress } from "./bulk/engine.js";
import { payloadKeys, SECRET_BYTES } from "./bulk/keys.js";
import { sha256Hex, type Context } from "./context.js";
import { DecryptError, FormatError, IntegrityError } from "./errors.js";
import { formatHeader, headerLength, MAX_RECIPIENTS, MAX_SIGNERS, parseHeader, type Header } from "./header.js";
import type { RsaPublicKey } from "./keys.js";
import { minimalMeta, parseMeta, serializeMeta, type HistoryEntry, type Meta } from "./meta.js";
import { END, firstMemberName, listTar, memberHeader, padding, readMember, type ByteSource } from "./tar.js";
import { readBack } from "./hooked-files.js";
import { ConcatFile, concatBytes, equalBytes, WindowFile } from "./views.js";
import { TOOL_VERSION } from "../version.js";
import { oneTime, type OneTime } from "./wrap-pool.js";

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
  /** Runtime and OS to record (the path verbs record `Context.platform`; the byte verbs nothing, so every runtime gives the same bytes). */
  platform?: string;
  engine?: EngineChoice;
  /** A secret and IV drawn and wrapped ahead (a `WrapPool`), for exactly `recipients`. */
  oneTime?: OneTime;
  /** The original as stored, if it can be re-read while sealing (the bulk engine may check the payload as it is written). */
  original?: Pick<FileStorage, "read">;
  /**
   * Nothing removes the original after this seal (the web page: it cannot delete the user's
   * files): the read-back check then proves that the bundle as stored is what was computed (each
   * payload write read back and compared, the small members re-read), not that it decrypts to the
   * original, and makes no decryption pass (SECURITY.md, "Checks in the browser").
   */
  originalKept?: boolean;
  /** Told how far the bulk engine has come (see `PayloadProgress`). */
  progress?: PayloadProgress;
}

/** A bundle just written, still holding its one-time secret for the read-back check. */
export interface Sealed {
  size: number;
  meta: Meta;
  /**
   * The read-back check: the bundle re-read as written, its small members compared byte for byte
   * with what was sealed, and its payload decrypting to `original` (see `SealResult.check`); or,
   * sealed with `originalKept`, its payload read back as written (`original` is then not needed).
   */
  verify(bundle: ByteSource, original?: Pick<FileStorage, "read">): Promise<boolean>;
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
function sealMeta(o: SealOptions, signers: readonly Signer[], size: number, openssl: string): Meta {
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
    openssl,
    ...(o.platform !== undefined ? { platform: o.platform } : {}),
    ...(o.note !== undefined ? { note: o.note } : {}),
    ...(o.history !== undefined && o.history.length > 0 ? { history: o.history } : {}),
  };
}

/**
 * Encrypts `input` into a v2 bundle written to `out` (random access: the payload goes straight
 * to its place in the archive, the small members around it after). See docs/FORMAT.md.
 */
export async function seal(ctx: Context, input: FileNode, out: Pick<FileStorage, "read" | "write">, o: SealOptions): Promise<Sealed> {
  const signers = o.signers ?? [];
  if (o.recipients.length === 0 || o.recipients.length > MAX_RECIPIENTS) throw new RangeError(`between 1 and ${MAX_RECIPIENTS} recipients`);
  if (signers.length > MAX_SIGNERS) throw new RangeError(`at most ${MAX_SIGNERS} signers`);
  const { secret, iv, wrapped } = o.oneTime ?? (await oneTime(ctx, o.recipients));
  try {
    if (wrapped.length !== o.recipients.length) throw new RangeError("one wrapped key per recipient");
    const size = input.stat().size;
    // Everything the header binds is known before the payload, so the tag is computed in the same
    // pass as the encryption (docs/DESIGN.md, "Passes over the data").
    const meta = sealMeta(o, signers, size, await ctx.openssl.version());
    const metaBytes = serializeMeta(meta);
    const header = formatHeader({
      iv,
      payloadBytes: size,
      metaSha256: await sha256Hex(ctx, metaBytes),
      recipients: o.recipients.map((r) => r.fingerprint),
      signers: signers.map((s) => s.publicKey.fingerprint),
    });
    if (header.length !== headerLength(o.recipients.length, signers.length)) throw new Error("header length differs from its layout");
    const beforePayload = [...member("header.txt", header), ...wrapped.flatMap((w, i) => member(`key-${i + 1}.oaep`, w)), memberHeader("payload.bin", size)];
    const payloadAt = beforePayload.reduce((n, p) => n + p.length, 0);

    const payload = new WindowFile(out, payloadAt, size, "write");
    const stored = o.originalKept === true ? readBack(payload) : undefined;
    const { tag, check } = await ctx.bulk(o.engine).seal({
      keys: payloadKeys(secret, iv),
      plaintext: input,
      ciphertext: stored?.file ?? payload,
      authenticated: concatBytes([header, ...wrapped]),
      original: stored === undefined ? o.original : undefined,
      progress: o.progress,
    });
    if (payload.size() !== size) throw new Error(`encryption wrote ${payload.size()} of ${size} bytes`);
    const signatures: Uint8Array[] = [];
    for (const s of signers) signatures.push(await dgstSign(ctx.openssl, s.key, new ConcatFile([header, ...wrapped, payload]), "pss"));

    writeAll(out, beforePayload, 0);
    const total = writeAll(
      out,
      [padding(size), ...member("meta.json", metaBytes), ...member("tag.hmac", tag), ...signatures.flatMap((sig, i) => member(`sig-${i + 1}.pss`, sig)), END],
      payloadAt + size,
    );
    return {
      size: total,
      meta,
      // The tag was computed over exactly the bytes written, so matching members and a payload that
      // decrypts to the original prove the bundle opens, without a second HMAC pass.
      verify: async (bundle, original) => {
        const b = await openBundle(ctx, bundle).catch((e: unknown) => {
          if (e instanceof FormatError || e instanceof IntegrityError) return undefined;
          throw e;
        });
        if (b === undefined) return false;
        const same = (a: readonly Uint8Array[], c: readonly Uint8Array[]) => a.length === c.length && a.every((x, i) => equalBytes(x, c[i] ?? new Uint8Array(0)));
        if (!same([b.headerBytes, b.tag, ...b.wrapped, ...b.signatures], [header, tag, ...wrapped, ...signatures])) return false;
        if (b.payload.size() !== size) return false;
        if (stored !== undefined) return stored.matches(size);
        if (original === undefined) throw new TypeError("the read-back check needs the original (or a seal with originalKept)");
        return check(b.payload, original);
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
export async function openBundle(ctx: Context, src: ByteSource): Promise<OpenedBundle> {
  // A file that does not even start like one is "not a bundle", not whatever the tar reader would
  // find wrong with it (a text file is a "truncated archive" to it).
  const firstName = firstMemberName(src);
  if (firstName !== "header.txt") throw new FormatError(`not an opensslwrap bundle (${src.size() === 0 ? "empty file" : firstName === undefined ? "not a tar archive" : "no header.txt"})`);
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
  if ((await sha256Hex(ctx, metaBytes)) !== header.metaSha256) throw new IntegrityError("the bundle was altered or corrupted: meta-data differs from its header");
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
export async function unwrap(ctx: Context, b: OpenedBundle, key: KeyInput, publicKey: RsaPublicKey): Promise<Uint8Array> {
  const i = b.header.recipients.indexOf(publicKey.fingerprint);
  const wrapped = b.wrapped[i];
  if (wrapped === undefined) {
    throw new DecryptError(`wrong private key: this key (${publicKey.fingerprint.slice(0, 16)}...) is not a recipient; recipients: ${b.header.recipients.join(", ")}`, b.header.recipients);
  }
  if (wrapped.length !== Math.ceil(publicKey.bits / 8)) throw new IntegrityError("the bundle was altered or corrupted: its wrapped key has the wrong length for this key");
  let secret: Uint8Array;
  try {
    secret = await oaepDecrypt(ctx.openssl, key, wrapped, "sha256");
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

/** The bulk engine's job of opening `b`'s payload with its one-time secret. */
export function openJob(b: OpenedBundle, secret: Uint8Array, progress?: PayloadProgress): OpenJob {
  return { keys: payloadKeys(secret, b.header.iv), ciphertext: b.payload, authenticated: concatBytes([b.headerBytes, ...b.wrapped]), tag: b.tag, progress };
}
