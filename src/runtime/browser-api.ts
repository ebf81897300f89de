import { decryptBytes, encryptTo, readMetaFrom, signFile, unlock, verifyFile, type BundleInfo, type EncryptOptions } from "../api.js";
import { FormatError } from "../bundle/errors.js";
import { isLegacySource, type LegacyInfo } from "../bundle/legacy.js";
import type { Meta } from "../bundle/meta.js";
import { usableName } from "../bundle/names.js";
import type { ByteSource } from "../bundle/tar.js";
import { decryptPayload } from "../bundle/v2.js";
import { ObservedFile } from "../bundle/views.js";
import type { KeyInput } from "../openssl/index.js";
import type { FileNode } from "../wasi/index.js";
import { BlobFile, createOutput, readSmall, type OutputFile } from "./browser-files.js";

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

/** Runtime and browser for the meta-data, e.g. "browser Chrome/126.0 Linux x86_64". */
export function browserPlatform(): string {
  const ua = globalThis.navigator?.userAgent ?? "";
  const engine = /(Firefox|Edg|OPR|Chrome)\/[\d.]+/.exec(ua)?.[0] ?? (/Version\/([\d.]+).*Safari/.exec(ua) !== null ? `Safari/${/Version\/([\d.]+)/.exec(ua)?.[1] ?? ""}` : "unknown");
  const os = (globalThis.navigator as { platform?: string } | undefined)?.platform ?? "";
  return `browser ${engine}${os === "" ? "" : ` ${os}`}`;
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

async function finishOr<T>(out: OutputFile, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    await out.discard();
    throw e;
  }
}

export interface EncryptBlobOptions extends Omit<EncryptOptions, "name" | "platform"> {
  onProgress?: Progress;
}

/**
 * Encrypts a browser file to `NAME.enc`. As on the command line, the bundle is read back (its
 * small members compared, its payload decrypted against the original) before it is returned.
 */
export async function encryptBlob(file: File, o: EncryptBlobOptions): Promise<{ output: BrowserOutput; meta: Meta; warnings: string[] }> {
  const warnings: string[] = [];
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
    const r = await finishOr(out, () =>
      encryptTo(work.observed(input), checking(original), target, {
        ...o,
        name: file.name,
        platform: browserPlatform(),
        onWarning: (m) => {
          warnings.push(m);
          o.onWarning?.(m);
        },
      }),
    );
    const name = `${file.name === "" ? "data" : file.name}.enc`;
    const output = { name, file: await out.finish(name), id: out.id, where: out.where };
    work.finish();
    return { output, meta: r.meta, warnings };
  } finally {
    input.close();
    original.close();
  }
}

function outputName(bundleName: string, recorded: string | undefined): string {
  // Windows' rules in every browser: a download can land on any system, or on a FAT stick.
  const name = recorded === undefined ? undefined : usableName(recorded, "win32").name;
  if (name !== undefined) return name;
  return bundleName.endsWith(".enc") && bundleName.length > 4 ? bundleName.slice(0, -4) : `${bundleName}.decrypted`;
}

/**
 * Decrypts a bundle (v2, or a legacy gzip layout in memory). The tag is checked before any
 * plaintext is written; the output is named after the original file when the bundle says it.
 */
export async function decryptBlob(bundle: File, key: KeyInput, o: { onProgress?: Progress } = {}): Promise<{ output: BrowserOutput; meta: Meta | LegacyInfo }> {
  const source = new BlobFile(bundle);
  try {
    if (isLegacySource(source)) {
      const { plaintext, meta } = await decryptBytes(source.bytes(), { privateKey: key });
      const name = outputName(bundle.name, (meta as LegacyInfo).originalName);
      const file = new File([plaintext.slice()], name, { type: "application/octet-stream" });
      plaintext.fill(0);
      return { output: { name, file, id: "", where: "memory" }, meta };
    }
    const work = new Work(Math.max(1, bundle.size) * DECRYPT_PASSES, "checking", o.onProgress);
    const { bundle: b, secret, bulk } = await unlock(work.counted(source), key);
    try {
      const out = await createOutput();
      work.phase = "decrypting";
      await finishOr(out, async () => {
        await decryptPayload(b, secret, out.node, bulk);
        if (out.node.size() !== b.header.payloadBytes) throw new FormatError("decrypted size differs from the header");
      });
      const name = outputName(bundle.name, b.meta.file?.name);
      const output = { name, file: await out.finish(name), id: out.id, where: out.where };
      work.finish();
      return { output, meta: b.meta };
    } finally {
      secret.fill(0);
    }
  } finally {
    source.close();
  }
}

/** A bundle's meta-data, no key needed. */
export async function readMetaBlob(bundle: Blob): Promise<BundleInfo> {
  const source = new BlobFile(bundle);
  try {
    return await readMetaFrom(source, async () => source.bytes());
  } finally {
    source.close();
  }
}

/** RSA-PSS SHA-256 signature of a file (raw bytes). */
export async function signBlob(file: Blob, key: KeyInput): Promise<Uint8Array> {
  const node = new BlobFile(file);
  try {
    return await signFile(node, key);
  } finally {
    node.close();
  }
}

/** A signature as the CLI accepts it: base64 text (whitespace ignored) or raw bytes. */
export function signatureBytes(raw: Uint8Array): Uint8Array {
  const text = new TextDecoder("latin1").decode(raw).trim();
  if (text !== "" && /^[A-Za-z0-9+/=\s]+$/.test(text)) {
    try {
      return Uint8Array.from(atob(text.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
    } catch {
      // not valid base64 after all: treat it as binary
    }
  }
  return raw;
}

/** Verifies an RSA-PSS or PKCS#1 v1.5 SHA-256 signature (`signature` as in `signatureBytes`). */
export async function verifyBlob(file: Blob, publicKey: Blob, signature: Blob): Promise<boolean> {
  const node = new BlobFile(file);
  try {
    return await verifyFile(node, readSmall(publicKey, "public key"), signatureBytes(readSmall(signature, "signature")));
  } finally {
    node.close();
  }
}

export { BlobFile, createOutput, outputStorage, readSmall, releaseOutput, type OutputFile } from "./browser-files.js";
