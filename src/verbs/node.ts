import * as fs from "node:fs";
import * as path from "node:path";
import { decryptFrom, type BundleSource, type DecryptOptions, type OutputPlace } from "../api/decrypt.js";
import { withEncrypter, type EncryptOptions, type Encrypter, type FileOptions, type Recipients } from "../api/encrypter.js";
import { readMetaFrom, type BundleInfo, type ReadMetaOptions } from "../api/info.js";
import { generateKeyPair, signFile, verifyFile, type KeyPair, type NewKeyOptions, type Verdict } from "../api/keys.js";
import { rotateFrom } from "../api/rotate.js";
import type { Context } from "../bundle/context.js";
import { FileExistsError, FormatError } from "../bundle/errors.js";
import type { LegacyInfo } from "../bundle/legacy.js";
import type { Meta } from "../bundle/meta.js";
import { ObservedFile } from "../bundle/hooked-files.js";
import type { KeyInput } from "../openssl/index.js";
import { HostFile } from "../wasi/index.js";
import { overwriteAndDelete } from "../runtime/node/files.js";
import { sweepOnce } from "../runtime/node/leftovers.js";
import { nodeHostFs, NodeFileStorage } from "../runtime/node/fs.js";
import { TempOutput, viaTemp } from "../runtime/node/temp-output.js";

/** The opensslwrap verbs on paths (Node, and Deno through its Node compatibility). */

function openRead(p: string): NodeFileStorage {
  return new NodeFileStorage(fs.openSync(p, "r"));
}

/** A bundle file, for the flows: random access, its name, and the whole of it on demand. */
function bundleAt(p: string, source: NodeFileStorage): BundleSource {
  return { source, name: path.basename(p), whole: async () => fs.readFileSync(p) };
}

/** How one file is encrypted, besides its recipients. */
export interface EncryptPathOptions extends Omit<FileOptions, "name"> {
  /** Bundle path (default FILE.enc). */
  out?: string;
  /** Keep the original (default: it is removed once the bundle has been verified). */
  keep?: boolean;
  /** Called as encryption reads FILE: bytes done so far, and FILE's size. */
  onProgress?: (done: number, total: number) => void;
  /** Told, one line each, of what was done differently (also in the result's `warnings`). */
  onWarning?: (message: string) => void;
}

export type EncryptFileOptions = Recipients & EncryptPathOptions;

export interface EncryptFileResult {
  bundle: string;
  meta: Meta;
  warnings: string[];
}

/**
 * Encrypts a file to FILE.enc. The bundle is written under a temp name, fsynced, read back and
 * decrypted with the still-in-memory secret and compared with the original; only then is it
 * renamed into place and, unless `keep`, the original overwritten and removed.
 */
export async function encryptFile(encrypter: Encrypter, file: string, o: EncryptPathOptions): Promise<EncryptFileResult> {
  const warnings = [...encrypter.warnings];
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
      const observed = o.onProgress === undefined ? input : new ObservedFile(input, (done) => o.onProgress?.(done, st.size));
      const r = await encrypter.encryptTo(observed, temp.storage, { ...o, name: path.basename(file) }, { original, platform: encrypter.ctx.platform });
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
    // On Windows the original is moved aside (`.NAME.wipe-*`) to be wiped: its folder is written to.
    sweepOnce(path.dirname(file), onWarning);
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

export interface DecryptFileOptions extends DecryptOptions {
  /** Output path (default: the original name from the meta-data, next to the bundle; else BUNDLE without .enc). */
  out?: string;
  /** Replace an existing output file. */
  force?: boolean;
  /** Called as plaintext is written: bytes done so far, and the total. */
  onProgress?: (done: number, total: number) => void;
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
export async function decryptFile(ctx: Context, bundle: string, o: DecryptFileOptions): Promise<{ output: string; meta: Meta | LegacyInfo }> {
  const source = openRead(bundle);
  try {
    return await decryptSourceTo(ctx, bundleAt(bundle, source), { dir: path.dirname(bundle), path: bundle }, o);
  } finally {
    source.close();
  }
}

/**
 * Decrypts a bundle from anywhere (a file, standard input) to a file: `o.out`, or the original's
 * name in `where.dir`; `where.path` is the bundle's own path, when it has one, never overwritten.
 */
export async function decryptSourceTo(ctx: Context, bundle: BundleSource, where: { dir: string; path?: string }, o: DecryptFileOptions): Promise<{ output: string; meta: Meta | LegacyInfo }> {
  const place: OutputPlace<string> = async (name, size) => {
    const output = o.out ?? path.join(where.dir, name);
    if (where.path !== undefined) refuseBundleItself(where.path, output);
    const temp = TempOutput.create(output, o.force === true, o.onWarning);
    const node = temp.node();
    return {
      node: o.onProgress === undefined ? node : new ObservedFile(node, (done) => o.onProgress?.(done, size)),
      commit: async () => {
        const warning = await temp.commit();
        if (warning !== undefined) o.onWarning?.(warning);
        return output;
      },
      discard: (cause) => temp.discard(cause),
    };
  };
  return decryptFrom(ctx, bundle, o, place);
}

/**
 * Re-encrypts a bundle for new recipients with fresh secrets; replaces it atomically, once the new
 * bundle has been read back and checked. A legacy bundle becomes a v2 bundle (its meta-data kept
 * in the history).
 */
export async function rotateFile(ctx: Context, bundle: string, privateKey: KeyInput, o: EncryptOptions & { onWarning?: (message: string) => void }): Promise<{ bundle: string; meta: Meta }> {
  const source = openRead(bundle);
  try {
    const meta = await withEncrypter(ctx, o, (encrypter) => viaTemp(bundle, true, async (temp) => (await rotateFrom(encrypter, bundleAt(bundle, source), temp.storage, privateKey, { ...o, platform: ctx.platform })).meta, o.onWarning));
    return { bundle, meta };
  } finally {
    source.close();
  }
}

export async function readMeta(ctx: Context, bundle: string, o: ReadMetaOptions = {}): Promise<BundleInfo> {
  const source = openRead(bundle);
  try {
    return await readMetaFrom(ctx, bundleAt(bundle, source), o);
  } finally {
    source.close();
  }
}

export function signPath(ctx: Context, file: string, privateKey: KeyInput): Promise<Uint8Array> {
  return signFile(ctx, new HostFile(nodeHostFs, file), privateKey);
}

export function verifyPath(ctx: Context, file: string, publicKey: Uint8Array, signature: Uint8Array): Promise<Verdict> {
  return verifyFile(ctx, new HostFile(nodeHostFs, file), publicKey, signature);
}

/**
 * Writes DIR/NAME.pub.pem (0644) and DIR/NAME.priv.pem (0600); refuses to replace either. The
 * pair is made before DIR is created, and a failure to write it removes what this call wrote
 * and the folders it created: a refusal leaves nothing behind.
 */
export async function generateKeys(ctx: Context, o: NewKeyOptions & { outDir: string; name?: string }): Promise<KeyPair & { publicPath: string; privatePath: string }> {
  const name = o.name ?? "opensslwrap";
  const publicPath = path.join(o.outDir, `${name}.pub.pem`);
  const privatePath = path.join(o.outDir, `${name}.priv.pem`);
  for (const p of [publicPath, privatePath]) if (fs.existsSync(p)) throw new FileExistsError(`${p} exists; not overwriting`);
  const pair = await generateKeyPair(ctx, o);
  const made = fs.mkdirSync(o.outDir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  try {
    for (const [p, bytes] of [[privatePath, pair.privateKey], [publicPath, pair.publicKey]] as const) {
      await viaTemp(p, false, async (t) => t.storage.write(bytes, 0), o.onWarning);
      written.push(p);
    }
    fs.chmodSync(publicPath, 0o644);
  } catch (e) {
    for (const p of written) fs.rmSync(p, { force: true });
    removeFoldersMade(made, o.outDir);
    throw e;
  }
  return { ...pair, publicPath, privatePath };
}

/** Removes, innermost first, the folders `mkdirSync(dir, { recursive: true })` created (`first` is what it returned), while they are empty. */
function removeFoldersMade(first: string | undefined, dir: string): void {
  if (first === undefined) return;
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      fs.rmdirSync(d);
    } catch {
      return;
    }
    if (d === path.resolve(first)) return;
  }
}
