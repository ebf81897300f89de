import * as fs from "node:fs";
import * as path from "node:path";
import { encryptTo, generateKeyPair, readMetaFrom, rotateTo, signFile, unlock, verifyFile, type BundleInfo, type EncryptOptions, type KeyPair } from "../api.js";
import { FileExistsError, FormatError } from "../bundle/errors.js";
import { decryptLegacy, isLegacyBundle } from "../bundle/legacy.js";
import { safeBaseName, type Meta } from "../bundle/meta.js";
import type { Engine } from "../bundle/bulk.js";
import { decryptPayload } from "../bundle/v2.js";
import { ObservedFile } from "../bundle/views.js";
import type { KeyInput } from "../openssl/index.js";
import { HostFile } from "../wasi/index.js";
import { commit, createTemp, overwriteAndDelete, refuseExisting, removeQuietly } from "./node-files.js";
import { nodeHostFs, NodeFileStorage } from "./node-fs.js";

/** The opensslwrap verbs on paths (Node, and Deno through its Node compatibility). */

export const platform = (): string => `node ${process.version} ${process.platform} ${process.arch}`;

function openRead(p: string): NodeFileStorage {
  return new NodeFileStorage(fs.openSync(p, "r"));
}

/** Runs `body` on a temp file next to `finalPath`; commits it there on success, removes it on failure. */
async function viaTemp<T>(finalPath: string, overwrite: boolean, body: (temp: ReturnType<typeof createTemp>) => Promise<T>): Promise<T> {
  if (!overwrite) refuseExisting(finalPath);
  const temp = createTemp(finalPath);
  try {
    const result = await body(temp);
    temp.storage.sync();
    temp.storage.close();
    commit(temp.path, finalPath, overwrite);
    return result;
  } catch (e) {
    try {
      temp.storage.close();
    } catch {
      // already closed
    }
    removeQuietly(temp.path);
    throw e;
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
        onWarning: (m) => {
          warnings.push(m);
          o.onWarning?.(m);
        },
      });
      return r.meta;
    });
  } finally {
    original.close();
  }
  if (o.keep !== true) {
    const w = overwriteAndDelete(file);
    if (w !== undefined) warnings.push(w);
  }
  return { bundle, meta, warnings };
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
}

function defaultOutput(bundle: string, recordedName: string | undefined): string {
  const name = recordedName === undefined ? undefined : safeBaseName(recordedName);
  if (name !== undefined) return path.join(path.dirname(bundle), name);
  return bundle.endsWith(".enc") ? bundle.slice(0, -4) : `${bundle}.decrypted`;
}

/** Decrypts a bundle (v2 or legacy). Plaintext goes to a temp name and is renamed only after the tag verified. */
export async function decryptFile(bundle: string, o: DecryptFileOptions): Promise<{ output: string; meta: Meta | BundleInfo }> {
  const source = openRead(bundle);
  try {
    const head = new Uint8Array(2);
    source.read(head, 0);
    if (isLegacyBundle(head)) {
      const { plaintext, info } = await decryptLegacy(fs.readFileSync(bundle), o.privateKey);
      const output = o.out ?? defaultOutput(bundle, info.originalName);
      try {
        await viaTemp(output, o.force === true, async (temp) => temp.storage.write(plaintext, 0));
      } finally {
        plaintext.fill(0);
      }
      return { output, meta: { format: "legacy", info } };
    }
    const { bundle: b, secret, bulk } = await unlock(source, o.privateKey, o.engine);
    try {
      const output = o.out ?? defaultOutput(bundle, b.meta.file?.name);
      await viaTemp(output, o.force === true, async (temp) => {
        const out = new HostFile(nodeHostFs, temp.path);
        const total = b.header.payloadBytes;
        await decryptPayload(b, secret, o.onProgress === undefined ? out : new ObservedFile(out, (done) => o.onProgress?.(done, total)), bulk);
        if (temp.storage.size() !== b.header.payloadBytes) throw new FormatError("decrypted size differs from the header");
      });
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
    const head = new Uint8Array(2);
    source.read(head, 0);
    if (isLegacyBundle(head)) throw new FormatError("legacy bundles cannot be rotated in place: decrypt it, then encrypt the file again");
    const meta = await viaTemp(bundle, true, async (temp) => (await rotateTo(source, temp.storage, privateKey, { ...o, platform: platform() })).meta);
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
export async function generateKeys(o: { outDir: string; name?: string; bits?: number; passphrase?: Uint8Array | string }): Promise<KeyPair & { publicPath: string; privatePath: string }> {
  const name = o.name ?? "opensslwrap";
  const publicPath = path.join(o.outDir, `${name}.pub.pem`);
  const privatePath = path.join(o.outDir, `${name}.priv.pem`);
  for (const p of [publicPath, privatePath]) if (fs.existsSync(p)) throw new FileExistsError(`${p} exists; not overwriting`);
  fs.mkdirSync(o.outDir, { recursive: true, mode: 0o700 });
  const pair = await generateKeyPair(o);
  await viaTemp(privatePath, false, async (t) => t.storage.write(pair.privateKey, 0));
  await viaTemp(publicPath, false, async (t) => t.storage.write(pair.publicKey, 0));
  fs.chmodSync(publicPath, 0o644);
  return { ...pair, publicPath, privatePath };
}
