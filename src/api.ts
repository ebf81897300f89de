import { dgstSign, dgstVerify, genpkeyRsa, publicKeyOf, version, type KeyInput } from "./openssl/index.js";
import { MemoryFile, type FileNode, type FileStorage } from "./wasi/index.js";
import { testSource } from "./openssl/test-seam.js";
import { FormatError, PublicKeyError } from "./bundle/errors.js";
import { decryptLegacy, isLegacyBundle, isLegacySource, readLegacy, type LegacyInfo } from "./bundle/legacy.js";
import { readPrivateKey, readPublicKey, RECOMMENDED_RSA_BITS, MIN_RSA_BITS, type RsaPublicKey } from "./bundle/keys.js";
import { checkNote, safeBaseName, type HistoryEntry, type Meta } from "./bundle/meta.js";
import { authenticate, decryptVerifying, openBundle, plaintextView, seal, unwrap, type OpenedBundle, type Sealed, type Signer } from "./bundle/v2.js";
import type { ByteSource } from "./bundle/tar.js";
import type { WrapPool } from "./bundle/wrap-pool.js";
import { bulkFor, type Bulk, type Engine } from "./bundle/bulk.js";

/**
 * The opensslwrap verbs on bytes and virtual files: runtime-neutral (Node, Deno, browsers).
 * The path-based verbs for Node and Deno build on these in runtime/node-api.ts.
 */

export type { KeyInput } from "./openssl/index.js";
export type { Meta, HistoryEntry } from "./bundle/meta.js";
export type { LegacyInfo } from "./bundle/legacy.js";
export type { RsaPublicKey } from "./bundle/keys.js";

export interface EncryptOptions {
  /** Recipients' public keys (PEM); each can decrypt alone. */
  publicKeys: readonly Uint8Array[];
  /** Sign the bundle with this private key (RSA-PSS). */
  signWith?: KeyInput;
  /** Original file name to record (base name only). */
  name?: string;
  /** Leave the original name out of the meta-data (names often carry participant IDs). */
  noName?: boolean;
  /** Leave the time out of the meta-data. */
  noDate?: boolean;
  /** Keep only what decryption needs in the meta-data. */
  noMeta?: boolean;
  /** One line, at most 120 characters. */
  note?: string;
  /** Runtime and OS for the meta-data (the Node entry fills it in). */
  platform?: string;
  /** Receives warnings, e.g. a key under 3072 bits. */
  onWarning?: (message: string) => void;
  /** "wasm" keeps all cryptography in the wasm engine; "auto" (default) lets the runtime accelerate the bulk cipher and MAC. */
  engine?: Engine;
  /** For many files to the same `publicKeys`: one-time secrets wrapped ahead, many per engine run. */
  wrapPool?: WrapPool;
}

const now = (): Date => testSource()?.now() ?? new Date();

export interface DecryptOptions {
  privateKey: KeyInput;
  engine?: Engine;
}

let engineVersion: Promise<string> | undefined;
/** The engine's version line, asked once per thread. */
export function opensslVersion(): Promise<string> {
  engineVersion ??= version();
  return engineVersion;
}

/** Public keys already checked, by content: a batch of files reads the same keys once. */
const checkedKeys = new Map<string, Promise<RsaPublicKey>>();
const keyId = (pem: Uint8Array) => new TextDecoder("latin1").decode(pem);

/** What a thread learnt before encrypting (checked keys, the engine's version), to hand to another thread. */
export interface Checked {
  keys: { pem: Uint8Array; key: RsaPublicKey }[];
  opensslVersion: string;
}

/** Checks `publicKeys` and asks the engine's version; the result can be `adoptChecked` by worker threads. */
export async function checkAhead(publicKeys: readonly Uint8Array[]): Promise<Checked> {
  const keys = await resolveRecipients(publicKeys);
  return { keys: keys.map((key, i) => ({ pem: publicKeys[i] ?? new Uint8Array(0), key })), opensslVersion: await opensslVersion() };
}

/** Takes what another thread of this process checked, instead of running the engine again for it. */
export function adoptChecked(c: Checked): void {
  for (const { pem, key } of c.keys) checkedKeys.set(keyId(pem), Promise.resolve(key));
  engineVersion = Promise.resolve(c.opensslVersion);
}

function checkedPublicKey(pem: Uint8Array): Promise<RsaPublicKey> {
  const id = keyId(pem);
  let key = checkedKeys.get(id);
  if (key === undefined) {
    key = readPublicKey(pem);
    key.catch(() => checkedKeys.delete(id));
    checkedKeys.set(id, key);
  }
  return key;
}

export async function resolveRecipients(publicKeys: readonly Uint8Array[], onWarning?: (m: string) => void): Promise<RsaPublicKey[]> {
  if (publicKeys.length === 0) throw new PublicKeyError("no public key given");
  const keys = [];
  for (const pem of publicKeys) {
    const k = await checkedPublicKey(pem);
    if (k.bits < RECOMMENDED_RSA_BITS) onWarning?.(`RSA key ${k.fingerprint.slice(0, 16)}... has ${k.bits} bits; ${RECOMMENDED_RSA_BITS} or more is recommended`);
    keys.push(k);
  }
  return keys;
}

async function resolveSigners(signWith: KeyInput | undefined): Promise<Signer[]> {
  return signWith === undefined ? [] : [{ key: signWith, publicKey: await readPrivateKey(signWith) }];
}

/** Everything `seal` needs from the user's options. */
async function sealOptions(o: EncryptOptions, history?: HistoryEntry[]) {
  if (o.note !== undefined) checkNote(o.note);
  const name = o.noName === true || o.name === undefined ? undefined : safeBaseName(o.name);
  const recipients = await resolveRecipients(o.publicKeys, o.onWarning);
  if (o.wrapPool !== undefined && !o.wrapPool.serves(recipients)) throw new RangeError("wrapPool was made for other recipients");
  return {
    recipients,
    oneTime: await o.wrapPool?.take(),
    signers: await resolveSigners(o.signWith),
    name,
    created: o.noDate === true ? undefined : now().toISOString(),
    note: o.note,
    noMeta: o.noMeta,
    history,
    platform: o.platform,
    opensslVersion: await opensslVersion(),
    engine: o.engine,
  };
}

/** Where a bundle is written; `flush` (if any) makes it durable and runs while the read-back check reads it. */
export type BundleOutput = Pick<FileStorage, "read" | "write"> & ByteSource & { flush?(): Promise<void> };

/**
 * Encrypts `input` into `out` and checks the result by reading it back; returns the bundle's size
 * and meta-data. `originalPath`: where `original` is on disk, if it is (the check can then run as
 * the payload is written).
 */
export async function encryptTo(input: FileNode, original: Pick<FileStorage, "read">, out: BundleOutput, o: EncryptOptions, originalPath?: string): Promise<{ size: number; meta: Meta }> {
  const sealed = await seal(input, out, { ...(await sealOptions(o)), originalPath });
  try {
    await readBack(sealed, out, original);
    return { size: sealed.size, meta: sealed.meta };
  } finally {
    sealed.wipe();
  }
}

/** The read-back check, while the bundle is flushed to disk (the check reads it from the page cache anyway). */
async function readBack(sealed: Sealed, bundle: BundleOutput, original: Pick<FileStorage, "read">): Promise<void> {
  const [, ok] = await Promise.all([bundle.flush?.(), sealed.verify(bundle, original)]);
  if (!ok) throw new FormatError("read-back check failed: the bundle written does not decrypt to the original; original kept");
}

/** Encrypts bytes into a bundle (in memory). */
export async function encryptBytes(plaintext: Uint8Array, o: EncryptOptions): Promise<Uint8Array> {
  const input = new MemoryFile(plaintext);
  const out = new MemoryFile();
  await encryptTo(input, input, out, o);
  return out.bytes();
}

/**
 * A v2 bundle opened with a private key, its one-time secret unwrapped but its tag not yet
 * checked: for `decryptVerifying`, which checks it while decrypting.
 */
export async function openWithKey(source: ByteSource, key: KeyInput, engine?: Engine): Promise<{ bundle: OpenedBundle; secret: Uint8Array; bulk: Bulk }> {
  const bundle = await openBundle(source);
  const publicKey = await readPrivateKey(key);
  const secret = await unwrap(bundle, key, publicKey);
  return { bundle, secret, bulk: await bulkFor(engine) };
}

/** A v2 bundle opened with a private key: authenticated, ready to decrypt. */
export async function unlock(source: ByteSource, key: KeyInput, engine?: Engine): Promise<{ bundle: OpenedBundle; secret: Uint8Array; bulk: Bulk }> {
  const opened = await openWithKey(source, key, engine);
  try {
    await authenticate(opened.bundle, opened.secret, opened.bulk);
  } catch (e) {
    opened.secret.fill(0);
    throw e;
  }
  return opened;
}

/** Decrypts a bundle in memory (v2 or a legacy layout). */
export async function decryptBytes(bundle: Uint8Array, o: DecryptOptions): Promise<{ plaintext: Uint8Array; meta: Meta | LegacyInfo }> {
  if (isLegacyBundle(bundle)) {
    const r = await decryptLegacy(bundle, o.privateKey);
    return { plaintext: r.plaintext, meta: r.info };
  }
  const { bundle: b, secret, bulk } = await openWithKey(new MemoryFile(bundle), o.privateKey, o.engine);
  const out = new MemoryFile();
  try {
    await decryptVerifying(b, secret, out, bulk);
    return { plaintext: out.bytes(), meta: b.meta };
  } catch (e) {
    // The tag may be judged after decrypting (second thread): drop what a bad bundle gave.
    out.wipe();
    throw e;
  } finally {
    secret.fill(0);
  }
}

/** The earlier meta-data as a history entry. */
function historyOf(meta: Meta, rotated: string | undefined): HistoryEntry[] {
  const { history, ...rest } = meta;
  return [...(history ?? []), { ...rest, ...(rotated !== undefined ? { rotated } : {}) }];
}

/**
 * Re-encrypts an opened bundle for new recipients with a fresh secret. The plaintext is decrypted
 * on demand in memory, never written.
 */
export async function rotateTo(source: ByteSource, out: BundleOutput, privateKey: KeyInput, o: EncryptOptions): Promise<{ size: number; meta: Meta }> {
  const { bundle, secret, bulk } = await unlock(source, privateKey, o.engine);
  try {
    const view = plaintextView(bundle, secret, bulk);
    const old = bundle.meta;
    const sealed = await seal(view, out, {
      ...(await sealOptions({ ...o, name: o.name ?? old.file?.name, note: o.note ?? old.note, noMeta: o.noMeta ?? old.cipher === undefined }, undefined)),
      history: old.cipher === undefined ? undefined : historyOf(old, o.noDate === true ? undefined : now().toISOString()),
    });
    try {
      await readBack(sealed, out, view);
      return { size: sealed.size, meta: sealed.meta };
    } finally {
      sealed.wipe();
    }
  } finally {
    secret.fill(0);
  }
}

/** Rotates a bundle held in memory. */
export async function rotateBytes(bundle: Uint8Array, privateKey: KeyInput, o: EncryptOptions): Promise<Uint8Array> {
  const out = new MemoryFile();
  await rotateTo(new MemoryFile(bundle), out, privateKey, o);
  return out.bytes();
}

export type BundleInfo = { format: 2; meta: Meta; recipients: string[]; signers: string[] } | { format: "legacy"; info: LegacyInfo };

/** The meta-data of a bundle, no key needed. `whole` loads a legacy (gzip) bundle into memory. */
export async function readMetaFrom(source: ByteSource, whole: () => Promise<Uint8Array>): Promise<BundleInfo> {
  if (isLegacySource(source)) return { format: "legacy", info: await readLegacy(await whole()) };
  const b = await openBundle(source);
  return { format: 2, meta: b.meta, recipients: b.header.recipients, signers: b.header.signers };
}

/** Signs data (RSA-PSS, SHA-256, salt = digest length); returns the raw signature. */
export async function signFile(data: FileNode, privateKey: KeyInput): Promise<Uint8Array> {
  await readPrivateKey(privateKey);
  return dgstSign(privateKey, data, "pss");
}

/** Verifies an RSA-PSS or PKCS#1 v1.5 SHA-256 signature. */
export async function verifyFile(data: FileNode, publicKey: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const key = await readPublicKey(publicKey);
  return (await dgstVerify(key.pem, data, signature, "pss")) || (await dgstVerify(key.pem, data, signature, "pkcs1"));
}

export interface KeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  fingerprint: string;
}

/** A new RSA key pair: PKCS#8 private key (AES-256 encrypted with a passphrase), SPKI public key. */
export async function generateKeyPair(o: { bits?: number; passphrase?: Uint8Array | string }): Promise<KeyPair> {
  const bits = o.bits ?? 4096;
  if (bits < MIN_RSA_BITS) throw new RangeError(`--bits must be at least ${MIN_RSA_BITS}`);
  const privateKey = await genpkeyRsa({ bits, passphrase: o.passphrase });
  const publicKey = await publicKeyOf({ key: privateKey, passphrase: o.passphrase });
  return { privateKey, publicKey, fingerprint: (await readPublicKey(publicKey)).fingerprint };
}
