import { decryptFrom, type DecryptOptions, type OutputPlace } from "../api/decrypt.js";
import type { Encrypter, FileOptions } from "../api/encrypter.js";
import { rotateTo } from "../api/rotate.js";
import { readMetaFrom, type BundleInfo, type ReadMetaOptions } from "../api/info.js";
import { signatureBytes, signFile, verifyFile, type Verdict } from "../api/keys.js";
import type { Context } from "../bundle/context.js";
import type { LegacyInfo } from "../bundle/legacy.js";
import type { Meta } from "../bundle/meta.js";
import type { KeyInput } from "../openssl/index.js";
import { BlobFile, readSmall } from "../runtime/browser/files.js";
import { createOutput, type OutputFile } from "../runtime/browser/opfs.js";

/**
 * The opensslwrap verbs on browser `File`s, for a dedicated Web Worker: inputs are read in place
 * (`FileReaderSync`), outputs written to the origin-private file system and returned as `File`s.
 * Memory use does not grow with the file size (except for legacy gzip bundles, read whole).
 * Nothing here removes or changes the user's files.
 */

export type Phase = "encrypting" | "decrypting" | "rotating";
/** `done` of `total` payload bytes behind the run, in `phase`. */
export type Progress = (phase: Phase, done: number, total: number) => void;

/**
 * Stops a run at its next read of the user's file: a standard `AbortSignal`, or anything with an
 * `aborted` flag (e.g. one in shared memory that another thread sets while this one is busy). The
 * run then rejects with the signal's reason (an "AbortError" DOMException by default) and leaves
 * no output.
 */
export type Abortable = Pick<AbortSignal, "aborted"> & { readonly reason?: unknown };

export interface BlobRunOptions {
  onProgress?: Progress;
  signal?: Abortable;
}

export interface BrowserOutput {
  /** The download name. */
  name: string;
  file: File;
  /** Pass to `releaseOutput` when the download is done, to remove the browser-storage copy. */
  id: string;
  where: "opfs" | "memory";
}

/** A run's progress in `phase` over a payload of `total` bytes, as the engine reports it. */
function reporter(phase: Phase, report: Progress | undefined): ((done: number, total: number) => void) | undefined {
  return report && ((done, total) => report(phase, Math.min(done, total), total));
}

export interface EncryptBlobOptions extends Omit<FileOptions, "name">, BlobRunOptions {}

/** The output as the page offers it for download. */
async function finished(out: OutputFile, name: string): Promise<BrowserOutput> {
  return { name, file: await out.finish(name), id: out.id, where: out.where };
}

/** Runs `body` on a new output and returns it finished as `name`; removes it if anything fails. */
async function intoOutput<T>(name: (r: T) => string, body: (out: OutputFile) => Promise<T>): Promise<{ output: BrowserOutput; result: T }> {
  const out = await createOutput();
  try {
    const result = await body(out);
    return { output: await finished(out, name(result)), result };
  } catch (e) {
    await out.discard();
    throw e;
  }
}

/**
 * Encrypts a browser file to `NAME.enc` in browser storage. The user's file stays where it is, so
 * the read-back check proves that the bundle as stored is what was computed (each payload write
 * read back, the small members re-read: `SealOptions.originalKept`), without a decryption pass.
 */
export async function encryptBlob(encrypter: Encrypter, file: File, o: EncryptBlobOptions = {}): Promise<{ output: BrowserOutput; meta: Meta; warnings: string[] }> {
  const { onProgress, signal, ...fileOptions } = o;
  const input = new BlobFile(file, signal);
  const progress = reporter("encrypting", onProgress);
  try {
    const { output, result } = await intoOutput(
      () => `${file.name === "" ? "data" : file.name}.enc`,
      (out) => encrypter.encryptTo(input, out.node, { ...fileOptions, name: file.name }, { originalKept: true, platform: encrypter.ctx.platform, progress: progress && ((done) => progress(done, file.size)) }),
    );
    return { output, meta: result.meta, warnings: [...encrypter.warnings] };
  } finally {
    input.close();
  }
}

/**
 * Re-encrypts a bundle for `encrypter`'s recipients into browser storage, under the bundle's own
 * name; the old meta-data joins the history. The old plaintext is decrypted on demand in memory,
 * never written; the new bundle is checked as stored (the old one stays where it is).
 */
export async function rotateBlob(encrypter: Encrypter, bundle: File, privateKey: KeyInput, o: EncryptBlobOptions = {}): Promise<{ output: BrowserOutput; meta: Meta; warnings: string[] }> {
  const { onProgress, signal, ...fileOptions } = o;
  const source = new BlobFile(bundle, signal);
  try {
    const { output, result } = await intoOutput(
      () => (bundle.name === "" ? "bundle.enc" : bundle.name),
      (out) => rotateTo(encrypter, source, out.node, privateKey, { ...fileOptions, platform: encrypter.ctx.platform, originalKept: true, progress: reporter("rotating", onProgress) }),
    );
    return { output, meta: result.meta, warnings: [...encrypter.warnings] };
  } finally {
    source.close();
  }
}

/**
 * Decrypts a bundle (v2, or a legacy gzip layout read in memory) to browser storage. The tag is
 * checked before any plaintext is kept; the output is named as on the command line.
 */
export async function decryptBlob(ctx: Context, bundle: File, o: DecryptOptions & BlobRunOptions): Promise<{ output: BrowserOutput; meta: Meta | LegacyInfo }> {
  const source = new BlobFile(bundle, o.signal);
  const place: OutputPlace<BrowserOutput> = async (name) => {
    const out = await createOutput();
    return {
      node: out.node,
      commit: () => finished(out, name),
      discard: async (cause) => {
        await out.discard();
        return cause;
      },
    };
  };
  try {
    return await decryptFrom(ctx, { source, name: bundle.name, whole: async () => source.bytes() }, o, place, reporter("decrypting", o.onProgress));
  } finally {
    source.close();
  }
}

/** A bundle's meta-data, no key needed. */
export async function readMetaBlob(ctx: Context, bundle: Blob, o: ReadMetaOptions = {}): Promise<BundleInfo> {
  const source = new BlobFile(bundle);
  try {
    return await readMetaFrom(ctx, { source, whole: async () => source.bytes() }, o);
  } finally {
    source.close();
  }
}

/** RSA-PSS SHA-256 signature of a file (raw bytes). */
export async function signBlob(ctx: Context, file: Blob, key: KeyInput): Promise<Uint8Array> {
  const node = new BlobFile(file);
  try {
    return await signFile(ctx, node, key);
  } finally {
    node.close();
  }
}

/** Verifies an RSA-PSS or PKCS#1 v1.5 SHA-256 signature (a signature file: base64 text or raw, as `signatureBytes` reads it). */
export async function verifyBlob(ctx: Context, file: Blob, publicKey: Blob, signature: Blob): Promise<Verdict> {
  const node = new BlobFile(file);
  try {
    return await verifyFile(ctx, node, readSmall(publicKey, "public key"), signatureBytes(readSmall(signature, "signature")));
  } finally {
    node.close();
  }
}
