import type { KeyInput } from "../openssl/index.js";
import { MemoryFile } from "../wasi/index.js";
import type { Context } from "../bundle/context.js";
import { readPrivateKey } from "../bundle/keys.js";
import type { HistoryEntry, Meta } from "../bundle/meta.js";
import type { ByteSource } from "../bundle/tar.js";
import { openBundle, openJob, unwrap } from "../bundle/v2.js";
import type { RunProgress } from "./decrypt.js";
import { now, withEncrypter, type BundleOutput, type EncryptOptions, type Encrypter, type FileOptions } from "./encrypter.js";

/** The earlier meta-data as a history entry. */
function historyOf(meta: Meta, rotated: string | undefined): HistoryEntry[] {
  const { history, ...rest } = meta;
  return [...(history ?? []), { ...rest, ...(rotated !== undefined ? { rotated } : {}) }];
}

/** What a rotation adds to a file's options. */
export interface RotateMore {
  platform?: string;
  /** The old bundle stays (the web page): the new one is checked as stored, not decrypted again (`SealOptions.originalKept`). */
  originalKept?: boolean;
  progress?: RunProgress;
}

/**
 * Re-encrypts a bundle for `encrypter`'s recipients with a fresh secret, into `out`. The old
 * plaintext is decrypted on demand in memory (after its tag was checked), never written. Name,
 * note and the meta-data choice carry over unless `o` says otherwise; the old meta-data joins the
 * history.
 */
export async function rotateTo(encrypter: Encrypter, source: ByteSource, out: BundleOutput, privateKey: KeyInput, o: FileOptions & RotateMore): Promise<{ size: number; meta: Meta }> {
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
        history: old.cipher === undefined ? undefined : historyOf(old, o.noDate === true ? undefined : now().toISOString()),
      });
    } finally {
      view.close();
    }
  } finally {
    secret.fill(0);
  }
}

/** Rotates a bundle held in memory. */
export async function rotateBytes(ctx: Context, bundle: Uint8Array, privateKey: KeyInput, o: EncryptOptions): Promise<Uint8Array> {
  return withEncrypter(ctx, o, async (encrypter) => {
    const out = new MemoryFile();
    await rotateTo(encrypter, new MemoryFile(bundle), out, privateKey, o);
    return out.bytes();
  });
}
