import type { KeyInput } from "../openssl/index.js";
import { MemoryFile } from "../wasi/index.js";
import type { Context } from "../bundle/context.js";
import { FormatError } from "../bundle/errors.js";
import { readPrivateKey } from "../bundle/keys.js";
import { decryptLegacy, isLegacySource, legacyOriginalName, unprotectedWarning, type LegacyInfo } from "../bundle/legacy.js";
import type { HistoryEntry, Meta } from "../bundle/meta.js";
import type { ByteSource } from "../bundle/tar.js";
import { openBundle, openJob, unwrap } from "../bundle/v2.js";
import type { BundleSource, RunProgress } from "./decrypt.js";
import { now, withEncrypter, type BundleOutput, type EncryptOptions, type Encrypter, type FileOptions } from "./encrypter.js";

/** How a rotation records the new bundle besides its recipients. */
export type RotateOptions = FileOptions & {
  platform?: string;
  /** Told, one line each, what deserves a word (a legacy bundle whose format could not detect alteration). */
  onWarning?: (message: string) => void;
  /** The old bundle stays (the web page): the new one is checked as stored, not decrypted again (`SealOptions.originalKept`). */
  originalKept?: boolean;
  progress?: RunProgress;
};

/** The earlier meta-data as a history entry. */
function historyOf(meta: Meta, rotated: string | undefined): HistoryEntry[] {
  const { history, ...rest } = meta;
  return [...(history ?? []), { ...rest, ...(rotated !== undefined ? { rotated } : {}) }];
}

/** A legacy meta-data text larger than this is not kept (real ones are under 2 KiB; meta.json is limited to 1 MiB). */
const MAX_LEGACY_META = 256 << 10;

/** A legacy bundle's meta-data as the first history entry of the bundle it becomes. */
function legacyHistory(info: LegacyInfo, rotated: string | undefined): HistoryEntry[] {
  if (info.metaText.length > MAX_LEGACY_META) throw new FormatError(`the legacy meta-data (${info.metaText.length} characters) is too large to keep in the history; decrypt the bundle and encrypt the file instead`);
  return [{ format: info.layout, converted: true, data: info.dataMember, meta: info.metaText, ...(rotated !== undefined ? { rotated } : {}) }];
}

const rotatedAt = (o: FileOptions): string | undefined => (o.noDate === true ? undefined : now().toISOString());

/**
 * Re-encrypts a bundle for `encrypter`'s recipients with a fresh secret, into `out`. The old
 * plaintext is decrypted on demand in memory (after its tag was checked), never written. Name,
 * note and the meta-data choice carry over unless `o` says otherwise; the old meta-data joins the
 * history.
 */
export async function rotateTo(encrypter: Encrypter, source: ByteSource, out: BundleOutput, privateKey: KeyInput, o: RotateOptions): Promise<{ size: number; meta: Meta }> {
  const ctx = encrypter.ctx;
  const b = await openBundle(ctx, source);
  const secret = await unwrap(ctx, b, privateKey, await readPrivateKey(ctx, privateKey));
  try {
    const view = await ctx.bulk(encrypter.engine).view(openJob(b, secret));
    try {
      const old = b.meta;
      return await encrypter.encryptTo(view, out, { ...o, name: o.name ?? old.file?.name, note: o.note ?? old.note, noMeta: o.noMeta ?? old.cipher === undefined }, {
        ...(o.originalKept === true ? { originalKept: true } : { original: view }),
        platform: o.platform,
        progress: o.progress && ((done) => o.progress?.(done, b.header.payloadBytes)),
        history: old.cipher === undefined ? undefined : historyOf(old, rotatedAt(o)),
      });
    } finally {
      view.close();
    }
  } finally {
    secret.fill(0);
  }
}

/**
 * Converts a legacy bundle (docs/LEGACY.md) into a v2 bundle for `encrypter`'s recipients, into
 * `out`: decrypted in memory as `decrypt` does (its recorded SHA-256 checked first), sealed with
 * full meta-data whose history keeps the legacy meta-data text and says it was converted, and
 * checked by reading it back like any new bundle.
 */
export async function convertLegacyTo(encrypter: Encrypter, bundle: Uint8Array, out: BundleOutput, privateKey: KeyInput, o: RotateOptions): Promise<{ size: number; meta: Meta }> {
  const { plaintext, info } = await decryptLegacy(encrypter.ctx, bundle, privateKey);
  try {
    const unprotected = unprotectedWarning(info);
    if (unprotected !== undefined) o.onWarning?.(unprotected);
    const input = new MemoryFile(plaintext);
    return await encrypter.encryptTo(input, out, { ...o, name: o.name ?? legacyOriginalName(info) }, { original: input, platform: o.platform, history: legacyHistory(info, rotatedAt(o)) });
  } finally {
    plaintext.fill(0);
  }
}

/** Rotates a bundle of either kind: v2 (`rotateTo`) or legacy, converted to v2 (`convertLegacyTo`). */
export async function rotateFrom(encrypter: Encrypter, bundle: Pick<BundleSource, "source" | "whole">, out: BundleOutput, privateKey: KeyInput, o: RotateOptions): Promise<{ size: number; meta: Meta }> {
  if (isLegacySource(bundle.source)) return convertLegacyTo(encrypter, await bundle.whole(), out, privateKey, o);
  return rotateTo(encrypter, bundle.source, out, privateKey, o);
}

/** Rotates a bundle held in memory (a legacy one is converted to v2). */
export async function rotateBytes(ctx: Context, bundle: Uint8Array, privateKey: KeyInput, o: EncryptOptions & Pick<RotateOptions, "onWarning">): Promise<Uint8Array> {
  return withEncrypter(ctx, o, async (encrypter) => {
    const out = new MemoryFile();
    await rotateFrom(encrypter, { source: new MemoryFile(bundle), whole: async () => bundle }, out, privateKey, o);
    return out.bytes();
  });
}
