import type { KeyInput } from "../openssl/index.js";
import { testSource } from "../openssl/test-seam.js";
import { MemoryFile, type FileNode, type FileStorage } from "../wasi/index.js";
import type { EngineChoice } from "../bundle/bulk/engine.js";
import type { Context } from "../bundle/context.js";
import { FormatError, PublicKeyError } from "../bundle/errors.js";
import { readPrivateKey, RECOMMENDED_RSA_BITS, type RsaPublicKey } from "../bundle/keys.js";
import { checkNote, safeBaseName, type HistoryEntry, type Meta } from "../bundle/meta.js";
import type { ByteSource } from "../bundle/tar.js";
import { seal, type SealOptions, type Signer } from "../bundle/v2.js";
import { WrapPool } from "../bundle/wrap-pool.js";
import { readKeys, type PublicKeyInput } from "./signatures.js";

export interface EncrypterOptions {
  /** Recipients' public keys (PEM or DER bytes, or keys from `readPublicKey`); each can decrypt alone. */
  publicKeys: readonly PublicKeyInput[];
  /** Sign each bundle with this private key (RSA-PSS). */
  signWith?: KeyInput;
  /** "wasm" keeps all cryptography in the wasm engine; "auto" (default) lets the runtime accelerate the bulk cipher and MAC. */
  engine?: EngineChoice;
  /** Receives warnings, e.g. a key under 3072 bits (once per encrypter). */
  onWarning?: (message: string) => void;
  /**
   * For many files: one-time secrets are drawn and wrapped up to this many per engine run
   * (each run costs ~13 ms besides its wraps). Default 1: each file wraps its own.
   */
  batch?: number;
}

/** What one file's bundle records besides its recipients. */
export interface FileOptions {
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
}

export const now = (): Date => testSource()?.now() ?? new Date();

/** Where a bundle is written; `flush` (if any) makes it durable, and runs while the read-back check reads it. */
export type BundleOutput = Pick<FileStorage, "read" | "write"> & ByteSource & { flush?(): Promise<void> };

/**
 * What the read-back check holds a bundle to: decrypting to the original as stored (before the
 * original may be removed), or, when nothing will remove the original, being what was computed
 * (`SealOptions.originalKept`).
 */
export type ReadBack = { original: Pick<FileStorage, "read"> } | { originalKept: true };

/** What a verb adds to a file's seal options: what the read-back check needs, and what only the verb knows. */
export type SealMore = Pick<SealOptions, "platform" | "progress"> & ReadBack & { history?: HistoryEntry[] };

/**
 * Recipients configured once for many files, as typage's `Encrypter`: their keys are read and
 * checked once, the signer's once, and a batch's one-time secrets are wrapped many per engine run.
 * `wipe()` zeroes the secrets drawn but never used.
 */
export class Encrypter {
  private constructor(
    readonly ctx: Context,
    readonly recipients: readonly RsaPublicKey[],
    private readonly signers: readonly Signer[],
    readonly engine: EngineChoice | undefined,
    /** The warnings about the keys (also given to `onWarning`), for each file's result. */
    readonly warnings: readonly string[],
    private readonly pool: WrapPool | undefined,
  ) {}

  static async create(ctx: Context, o: EncrypterOptions): Promise<Encrypter> {
    if (o.publicKeys.length === 0) throw new PublicKeyError("no public key given");
    // A key given twice (a recipients folder and the same key again) is one recipient.
    const recipients = [...new Map((await readKeys(ctx, o.publicKeys)).map((k) => [k.fingerprint, k])).values()];
    const warnings = recipients
      .filter((k) => k.bits < RECOMMENDED_RSA_BITS)
      .map((k) => `RSA key ${k.fingerprint.slice(0, 16)}... has ${k.bits} bits; ${RECOMMENDED_RSA_BITS} or more is recommended`);
    warnings.forEach((w) => o.onWarning?.(w));
    const signers = o.signWith === undefined ? [] : [{ key: o.signWith, publicKey: await readPrivateKey(ctx, o.signWith) }];
    const pool = (o.batch ?? 1) > 1 ? new WrapPool(ctx, recipients, o.batch) : undefined;
    return new Encrypter(ctx, recipients, signers, o.engine, warnings, pool);
  }

  /** About how many more files this encrypter will seal: a batch then wraps no more secrets than that. */
  expect(files: number): void {
    this.pool?.expect(files);
  }

  /**
   * Seals `input` into `out`, then the read-back check: the bundle re-read from `out` must hold
   * the members that were sealed, and its payload must decrypt to `more.original` (or, with
   * `more.originalKept`, be the ciphertext computed). Anything else is a FormatError, and the
   * caller keeps the original.
   */
  async encryptTo(input: FileNode, out: BundleOutput, o: FileOptions, more: SealMore): Promise<{ size: number; meta: Meta }> {
    const sealed = await seal(this.ctx, input, out, await this.sealOptions(o, more));
    try {
      const original = "original" in more ? more.original : undefined;
      // While the bundle is flushed to the disk: the check reads it from the page cache anyway.
      const [, ok] = await Promise.all([out.flush?.(), sealed.verify(out, original)]);
      if (!ok) throw new FormatError(original === undefined ? "read-back check failed: the bundle as stored is not what was computed" : "read-back check failed: the bundle written does not decrypt to the original; original kept");
      return { size: sealed.size, meta: sealed.meta };
    } finally {
      sealed.wipe();
    }
  }

  /** A bundle of `plaintext`, in memory. */
  async encryptBytes(plaintext: Uint8Array, o: FileOptions = {}): Promise<Uint8Array> {
    const input = new MemoryFile(plaintext);
    const out = new MemoryFile();
    await this.encryptTo(input, out, o, { original: input });
    return out.bytes();
  }

  /** Everything `seal` needs for one file. */
  private async sealOptions(o: FileOptions, more: SealMore): Promise<SealOptions> {
    if (o.note !== undefined) checkNote(o.note);
    return {
      recipients: this.recipients,
      signers: this.signers,
      oneTime: await this.pool?.take(),
      name: o.noName === true || o.name === undefined ? undefined : safeBaseName(o.name),
      created: o.noDate === true ? undefined : now().toISOString(),
      note: o.note,
      noMeta: o.noMeta,
      engine: this.engine,
      ...more,
    };
  }

  wipe(): void {
    this.pool?.wipe();
  }
}

/** Whom to encrypt for: the recipients (read for this call), or an `Encrypter` made once for many calls. */
export type Recipients = EncrypterOptions | { encrypter: Encrypter };
export type EncryptOptions = Recipients & FileOptions;

/** Runs `body` with an encrypter made for it (or the one given), wiped afterwards if made here. */
export async function withEncrypter<T>(ctx: Context, o: Recipients, body: (e: Encrypter) => Promise<T>): Promise<T> {
  if ("encrypter" in o) return body(o.encrypter);
  const encrypter = await Encrypter.create(ctx, o);
  try {
    return await body(encrypter);
  } finally {
    encrypter.wipe();
  }
}
