import { decryptFrom, type DecryptOptions, type OutputPlace } from "../api/decrypt.js";
import type { Encrypter, FileOptions } from "../api/encrypter.js";
import { readMetaFrom, type BundleInfo, type ReadMetaOptions } from "../api/info.js";
import { signatureBytes, signFile, verifyFile, type Verdict } from "../api/keys.js";
import type { Context } from "../bundle/context.js";
import type { LegacyInfo } from "../bundle/legacy.js";
import type { Meta } from "../bundle/meta.js";
import type { ByteSource } from "../bundle/tar.js";
import { ObservedFile } from "../bundle/views.js";
import type { KeyInput } from "../openssl/index.js";
import type { FileNode } from "../wasi/index.js";
import { BlobFile, readSmall } from "../runtime/browser/files.js";
import { createOutput, type OutputFile } from "../runtime/browser/opfs.js";

/**
 * The opensslwrap verbs on browser `File`s, for a dedicated Web Worker: inputs are read in place
 * (`FileReaderSync`), outputs written to the origin-private file system and returned as `File`s.
 * Memory use does not grow with the file size (except for legacy gzip bundles, read whole).
 */

export type Phase = "encrypting" | "checking" | "decrypting";
export type Progress = (phase: Phase, done: number, total: number) => void;

export interface BrowserOutput {
  /** The download name. */
  name: string;
  file: File;
  /** Pass to `releaseOutput` when the download is done, to remove the browser-storage copy. */
  id: string;
  where: "opfs" | "memory";
}

/**
 * Overall progress of one verb: bytes read by the engine over the bytes it will read in all (the
 * file size times the passes the verb makes over it), reported with the current phase.
 */
class Work {
  private done = 0;

  constructor(
    private readonly total: number,
    public phase: Phase,
    private readonly report: Progress | undefined,
  ) {}

  add(n: number): void {
    if (n <= 0 || this.report === undefined) return;
    this.done += n;
    this.report(this.phase, Math.min(this.done, this.total), this.total);
  }

  /** `src` with its reads counted. */
  counted<T extends ByteSource>(src: T): ByteSource {
    return {
      size: () => src.size(),
      read: (dst, position) => {
        const n = src.read(dst, position);
        this.add(n);
        return n;
      },
    };
  }

  /** `node` with the reads of its first (streaming) pass counted. */
  observed(node: FileNode): FileNode {
    let reached = 0;
    return new ObservedFile(node, (position) => {
      this.add(position - reached);
      reached = position;
    });
  }

  finish(): void {
    this.add(this.total - this.done);
  }
}

/**
 * Passes over the file's size: encrypting reads the input once, the output twice (its tag, then
 * the read-back check's decryption) and the original once more (the comparison); decrypting reads
 * the payload twice (tag, then decryption).
 */
const ENCRYPT_PASSES = 4;
const DECRYPT_PASSES = 2;

export interface EncryptBlobOptions extends Omit<FileOptions, "name"> {
  onProgress?: Progress;
}

/** The output as the page offers it for download. */
async function finished(out: OutputFile, name: string): Promise<BrowserOutput> {
  return { name, file: await out.finish(name), id: out.id, where: out.where };
}

/**
 * Encrypts a browser file to `NAME.enc`. As on the command line, the bundle is read back (its
 * small members compared, its payload decrypted against the original) before it is returned.
 */
export async function encryptBlob(encrypter: Encrypter, file: File, o: EncryptBlobOptions = {}): Promise<{ output: BrowserOutput; meta: Meta; warnings: string[] }> {
  const input = new BlobFile(file);
  const original = new BlobFile(file);
  const work = new Work(Math.max(1, file.size) * ENCRYPT_PASSES, "encrypting", o.onProgress);
  const out = await createOutput();
  // The engine reads the input once ("encrypting"); everything after is sealing and checking.
  const checking = (src: ByteSource): ByteSource => {
    const counted = work.counted(src);
    return {
      size: () => counted.size(),
      read: (dst, position) => {
        work.phase = "checking";
        return counted.read(dst, position);
      },
    };
  };
  const target = { ...checking(out.node), write: (src: Uint8Array, position: number) => out.node.write(src, position) };
  try {
    const r = await encrypter.encryptTo(work.observed(input), target, { ...o, name: file.name }, { original: checking(original), platform: encrypter.ctx.platform });
    const output = await finished(out, `${file.name === "" ? "data" : file.name}.enc`);
    work.finish();
    return { output, meta: r.meta, warnings: [...encrypter.warnings] };
  } catch (e) {
    await out.discard();
    throw e;
  } finally {
    input.close();
    original.close();
  }
}

/**
 * Decrypts a bundle (v2, or a legacy gzip layout read in memory) to browser storage. The tag is
 * checked before any plaintext is written; the output is named as on the command line.
 */
export async function decryptBlob(ctx: Context, bundle: File, o: DecryptOptions & { onProgress?: Progress }): Promise<{ output: BrowserOutput; meta: Meta | LegacyInfo }> {
  const source = new BlobFile(bundle);
  const work = new Work(Math.max(1, bundle.size) * DECRYPT_PASSES, "checking", o.onProgress);
  const place: OutputPlace<BrowserOutput> = async (name) => {
    const out = await createOutput();
    work.phase = "decrypting";
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
    const r = await decryptFrom(ctx, { source: work.counted(source), name: bundle.name, whole: async () => source.bytes() }, o, place);
    work.finish();
    return r;
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
