import * as fs from "node:fs";
import * as path from "node:path";
import { encryptTo, generateKeyPair, openWithKey, readMetaFrom, rotateTo, signFile, verifyFile, type BundleInfo, type EncryptOptions, type KeyPair } from "../api.js";
import { FileExistsError, FormatError } from "../bundle/errors.js";
import { decryptLegacy, isLegacySource } from "../bundle/legacy.js";
import type { Meta } from "../bundle/meta.js";
import { usableName } from "../bundle/names.js";
import type { Engine } from "../bundle/bulk.js";
import { authenticate, decryptPayload, decryptVerifying } from "../bundle/v2.js";
import { ObservedFile } from "../bundle/views.js";
import type { KeyInput } from "../openssl/index.js";
import { HostFile } from "../wasi/index.js";
import { commit, createTemp, overwriteAndDelete, refuseExisting, removeQuietly, type TempFile } from "./node-files.js";
import { nodeHostFs, NodeFileStorage } from "./node-fs.js";

/** The opensslwrap verbs on paths (Node, and Deno through its Node compatibility). */

const deno = (globalThis as { Deno?: { version?: { deno?: string } } }).Deno?.version?.deno;
/** Runtime and OS for the meta-data; Deno's Node compatibility reports a Node version, so name Deno's own. */
export const platform = (): string => `${deno === undefined ? `node ${process.version}` : `deno ${deno}`} ${process.platform} ${process.arch}`;

function openRead(p: string): NodeFileStorage {
  return new NodeFileStorage(fs.openSync(p, "r"));
}

/** Runs `body` on a temp file next to `finalPath`; commits it there on success, removes it on failure. */
async function viaTemp<T>(finalPath: string, overwrite: boolean, body: (temp: TempFile) => Promise<T>, onWarning?: (message: string) => void): Promise<T> {
  if (!overwrite) refuseExisting(finalPath);
  const temp = createTemp(finalPath);
  try {
    const result = await body(temp);
    await temp.storage.durable();
    temp.storage.close();
    const warning = await commit(temp.path, finalPath, overwrite);
    if (warning !== undefined) onWarning?.(warning);
    return result;
  } catch (e) {
    await temp.storage.settle();
    try {
      temp.storage.close();
    } catch {
      // already closed
    }
    const full = diskFull(temp.path);
    removeQuietly(temp.path);
    // The wasm engine reports a full disk only as "error writing output file": say what it was.
    const message = e instanceof Error ? e.message : String(e);
    if (full && !/ENOSPC|no space/i.test(message)) throw new Error(`no space left on device: ${finalPath} not written (${message})`, { cause: e });
    // A failed write or fsync of the temp file (e.g. EIO) said only what failed, or (the wasm
    // engine) "error writing output file": say where, and why.
    const io = temp.storage.ioError;
    if (io !== undefined) throw new Error(`${finalPath} could not be written (${io.message}); nothing was written`, { cause: e });
    throw e;
  }
}

/** Whether the filesystem holding `p` has no space left (checked while the failed temp file still fills it). */
function diskFull(p: string): boolean {
  try {
    const s = fs.statfsSync(path.dirname(p));
    return s.bavail === 0 || s.bfree === 0;
  } catch {
    return false;
  }
}

export interface EncryptFileOptions extends Omit<EncryptOptions, "name" | "platform"> {
  /** Bundle path (default FILE.enc). */
  out?: string;
  /** Keep the original (default: it is removed once the bundle has been verified). */
  keep?: boolean;
  /** Called as encryption reads FILE: bytes done so far, and FILE's size. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Encrypts a file to FILE.enc. The bundle is written under a temp name, fsynced, read back and
 * decrypted with the still-in-memory secret and compared with the original; only then is it
 * renamed into place and, unless `keep`, the original overwritten and removed.
 */
export async function encryptFile(file: string, o: EncryptFileOptions): Promise<{ bundle: string; meta: Meta; warnings: string[] }> {
  const warnings: string[] = [];
  const onWarning = (m: string) => {
    warnings.push(m);
    o.onWarning?.(m);
  };
  const bundle = o.out ?? `${file}.enc`;
  const st = fs.statSync(file);
  if (!st.isFile()) throw new FormatError(`${file} is not a regular file`);
  const original = openRead(file);
  let meta: Meta;
  try {
    meta = await viaTemp(bundle, false, async (temp) => {
      const input = new HostFile(nodeHostFs, file);
      const r = await encryptTo(o.onProgress === undefined ? input : new ObservedFile(input, (done) => o.onProgress?.(done, st.size)), original, temp.storage, {
        ...o,
        name: path.basename(file),
        platform: platform(),
        onWarning,
      }, file);
      return r.meta;
    }, onWarning);
  } catch (e) {
    // A file that grows while it is read fails deep in the engine ("payload larger than declared"):
    // name the cause.
    if (changedSince(file, st)) throw new Error(`${file} changed while it was being encrypted: nothing written, ${file} kept`, { cause: e });
    throw e;
  } finally {
    original.close();
  }
  if (o.keep !== true) {
    // The read-back check compared the bundle with the file's first st.size bytes. A file that grew
    // or changed meanwhile (the experiment still writing it) would lose what the bundle lacks.
    if (changedSince(file, st)) throw new Error(`${file} changed while it was being encrypted: ${bundle} holds its earlier content; ${file} was kept`);
    let w: string | undefined;
    try {
      w = await overwriteAndDelete(file);
    } catch (e) {
      // e.g. EROFS, EACCES: without this the one line read like a failed encryption.
      throw new Error(`${bundle} was written and verified, but ${file} could not be removed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (w !== undefined) onWarning(w);
  }
  return { bundle, meta, warnings };
}

/** Whether `file` is no longer what `st` described (another inode, size or modification time; gone is not "changed"). */
function changedSince(file: string, st: fs.Stats): boolean {
  try {
    const now = fs.statSync(file);
    return now.size !== st.size || now.mtimeMs !== st.mtimeMs || now.ino !== st.ino;
  } catch {
    return false;
  }
}

export interface DecryptFileOptions {
  privateKey: KeyInput;
  /** Output path (default: the original name from the meta-data, next to the bundle; else BUNDLE without .enc). */
  out?: string;
  /** Replace an existing output file. */
  force?: boolean;
  /** "wasm" keeps all cryptography in the wasm engine. */
  engine?: Engine;
  /** Called as plaintext is written: bytes done so far, and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Told, in one line each, what was done differently (a recorded name changed to one this OS can use...). */
  onWarning?: (message: string) => void;
}

function defaultOutput(bundle: string, recordedName: string | undefined, onWarning?: (message: string) => void): string {
  const { name, warning } = recordedName === undefined ? { name: undefined, warning: undefined } : usableName(recordedName, process.platform);
  if (warning !== undefined) onWarning?.(warning);
  if (name !== undefined) return path.join(path.dirname(bundle), name);
  return bundle.endsWith(".enc") ? bundle.slice(0, -4) : `${bundle}.decrypted`;
}

/**
 * Refuses an output that is the bundle itself (by name, or the same file through another name):
 * a recorded name equal to the bundle's (any sender chooses it), or `--out BUNDLE`, with --force
 * would have replaced the encrypted copy with its plaintext.
 */
function refuseBundleItself(bundle: string, output: string): void {
  let same = path.resolve(output) === path.resolve(bundle);
  try {
    const a = fs.statSync(bundle);
    const b = fs.statSync(output);
    same ||= a.dev === b.dev && a.ino === b.ino;
  } catch {
    // no such output: not the bundle
  }
  if (same) throw new FileExistsError(`output ${output} is the bundle itself; not overwriting it`);
}

/** Decrypts a bundle (v2 or legacy). Plaintext goes to a temp name, renamed only after the tag verified (removed if not). */
export async function decryptFile(bundle: string, o: DecryptFileOptions): Promise<{ output: string; meta: Meta | BundleInfo }> {
  const source = openRead(bundle);
  try {
    if (isLegacySource(source)) {
      const { plaintext, info } = await decryptLegacy(fs.readFileSync(bundle), o.privateKey);
      const output = o.out ?? defaultOutput(bundle, info.originalName, o.onWarning);
      refuseBundleItself(bundle, output);
      try {
        await viaTemp(output, o.force === true, async (temp) => temp.storage.write(plaintext, 0), o.onWarning);
      } finally {
        plaintext.fill(0);
      }
      return { output, meta: { format: "legacy", info } };
    }
    const { bundle: b, secret, bulk } = await openWithKey(source, o.privateKey, o.engine);
    try {
      const output = o.out ?? defaultOutput(bundle, b.meta.file?.name, o.onWarning);
      refuseBundleItself(bundle, output);
      // Small payloads: the tag is checked before any file is created. Big ones: a second thread
      // checks it while the payload is decrypted into the temp file, removed if the tag is wrong.
      const alongside = bulk.macAlongside(b.header.payloadBytes);
      if (!alongside) await authenticate(b, secret, bulk);
      await viaTemp(output, o.force === true, async (temp) => {
        const out = temp.storage.node();
        const total = b.header.payloadBytes;
        await (alongside ? decryptVerifying : decryptPayload)(b, secret, o.onProgress === undefined ? out : new ObservedFile(out, (done) => o.onProgress?.(done, total)), bulk);
        if (temp.storage.size() !== b.header.payloadBytes) throw new FormatError("decrypted size differs from the header");
      }, o.onWarning);
      return { output, meta: b.meta };
    } finally {
      secret.fill(0);
    }
  } finally {
    source.close();
  }
}

/** Re-encrypts a bundle for new recipients with fresh secrets; replaces it atomically. */
export async function rotateFile(bundle: string, privateKey: KeyInput, o: Omit<EncryptOptions, "platform">): Promise<{ bundle: string; meta: Meta }> {
  const source = openRead(bundle);
  try {
    if (isLegacySource(source)) throw new FormatError("legacy bundles cannot be rotated in place: decrypt it, then encrypt the file again");
    const meta = await viaTemp(bundle, true, async (temp) => (await rotateTo(source, temp.storage, privateKey, { ...o, platform: platform() })).meta, o.onWarning);
    return { bundle, meta };
  } finally {
    source.close();
  }
}

export async function readMeta(bundle: string): Promise<BundleInfo> {
  const source = openRead(bundle);
  try {
    return await readMetaFrom(source, async () => fs.readFileSync(bundle));
  } finally {
    source.close();
  }
}

export function signPath(file: string, privateKey: KeyInput): Promise<Uint8Array> {
  return signFile(new HostFile(nodeHostFs, file), privateKey);
}

export function verifyPath(file: string, publicKey: Uint8Array, signature: Uint8Array): Promise<boolean> {
  return verifyFile(new HostFile(nodeHostFs, file), publicKey, signature);
}

/** Writes DIR/NAME.pub.pem (0644) and DIR/NAME.priv.pem (0600); refuses to replace either. */
export async function generateKeys(o: { outDir: string; name?: string; bits?: number; passphrase?: Uint8Array | string; onWarning?: (message: string) => void }): Promise<KeyPair & { publicPath: string; privatePath: string }> {
  const name = o.name ?? "opensslwrap";
  const publicPath = path.join(o.outDir, `${name}.pub.pem`);
  const privatePath = path.join(o.outDir, `${name}.priv.pem`);
  for (const p of [publicPath, privatePath]) if (fs.existsSync(p)) throw new FileExistsError(`${p} exists; not overwriting`);
  fs.mkdirSync(o.outDir, { recursive: true, mode: 0o700 });
  const pair = await generateKeyPair(o);
  await viaTemp(privatePath, false, async (t) => t.storage.write(pair.privateKey, 0), o.onWarning);
  await viaTemp(publicPath, false, async (t) => t.storage.write(pair.publicKey, 0), o.onWarning);
  fs.chmodSync(publicPath, 0o644);
  return { ...pair, publicPath, privatePath };
}
