import type { KeyInput } from "../openssl/index.js";
import { MemoryFile, type FileNode } from "../wasi/index.js";
import type { EngineChoice } from "../bundle/bulk/engine.js";
import type { Context } from "../bundle/context.js";
import { FormatError } from "../bundle/errors.js";
import { readPrivateKey } from "../bundle/keys.js";
import { decryptLegacy, isLegacySource, legacyOriginalName, unprotectedWarning, type LegacyInfo } from "../bundle/legacy.js";
import type { Meta } from "../bundle/meta.js";
import type { ByteSource } from "../bundle/tar.js";
import { openBundle, openJob, unwrap } from "../bundle/v2.js";
import { outputName } from "./names.js";
import { readKeys, requireSigners, type PublicKeyInput } from "./signatures.js";

export interface DecryptOptions {
  privateKey: KeyInput;
  /**
   * Keys that must have signed the bundle (each one; PEM or DER bytes, or keys from
   * `readPublicKey`): checked before the key is unwrapped and any plaintext written, else a
   * SignatureError naming the first key that did not sign. Costs one pass over the payload per key.
   */
  signers?: readonly PublicKeyInput[];
  /** "wasm" keeps all cryptography in the wasm engine. */
  engine?: EngineChoice;
  /** Told, one line each, what was done differently (e.g. a recorded name this system cannot use, changed). */
  onWarning?: (message: string) => void;
}

/** A bundle to decrypt: its bytes at random, its file name, and the whole of it (legacy bundles are gzip, read in memory). */
export interface BundleSource {
  source: ByteSource;
  name: string;
  whole(): Promise<Uint8Array>;
}

/** An output being written under a temporary name (a runtime's: a temp file next to the final one, browser storage, memory). */
export interface PendingOutput<R> {
  readonly node: FileNode;
  /** Complete and checked: give it its final name. */
  commit(): Promise<R>;
  /** Failed with `cause`: remove it; returns what to report (the runtime may name a disk failure). */
  discard(cause: unknown): Promise<unknown>;
}

/** Makes the output for a decrypted file of `size` bytes whose default name is `name` (see `outputName`). */
export interface OutputPlace<R> {
  (name: string, size: number): Promise<PendingOutput<R>>;
  /**
   * What is written cannot be taken back (standard output, a pipe): the tag is then checked in a
   * pass of its own before the first byte is written, whatever the payload's size (`OpenJob.tagFirst`).
   */
  readonly irrevocable?: boolean;
}

/** `done` of `total` payload bytes decrypted (or encrypted) so far, as the bulk engine tells. */
export type RunProgress = (done: number, total: number) => void;

/**
 * The decrypt flow of every runtime: a v2 bundle (key unwrapped, the bulk engine checks the tag
 * and decrypts; no plaintext reaches its final name before the tag is good) or a legacy one
 * (decrypted in memory, after its recorded SHA-256 was checked; a warning when it records none),
 * signed by `o.signers` if given. Runtimes give only the bundle and the place of the output.
 */
export async function decryptFrom<R>(ctx: Context, bundle: BundleSource, o: DecryptOptions, place: OutputPlace<R>, progress?: RunProgress): Promise<{ output: R; meta: Meta | LegacyInfo }> {
  const named = (recorded: string | undefined): string => {
    const { name, warning } = outputName(bundle.name, recorded, ctx.nameRules);
    if (warning !== undefined) o.onWarning?.(warning);
    return name;
  };
  const signers = await readKeys(ctx, o.signers ?? []);
  if (isLegacySource(bundle.source)) {
    await requireSigners(ctx, undefined, signers);
    const { plaintext, info } = await decryptLegacy(ctx, await bundle.whole(), o.privateKey);
    try {
      const unprotected = unprotectedWarning(info);
      if (unprotected !== undefined) o.onWarning?.(unprotected);
      const output = await write(await place(named(legacyOriginalName(info)), plaintext.length), async (node) => node.open({ read: false, write: true }).write(plaintext, 0));
      return { output, meta: info };
    } finally {
      plaintext.fill(0);
    }
  }
  const b = await openBundle(ctx, bundle.source);
  await requireSigners(ctx, b, signers);
  const secret = await unwrap(ctx, b, o.privateKey, await readPrivateKey(ctx, o.privateKey));
  try {
    let pending: PendingOutput<R> | undefined;
    try {
      const size = b.header.payloadBytes;
      const job = openJob(b, secret, progress && ((done) => progress(done, size)));
      await ctx.bulk(o.engine).open({ ...job, tagFirst: place.irrevocable === true }, async () => (pending = await place(named(b.meta.file?.name), size)).node);
    } catch (e) {
      throw pending === undefined ? e : await pending.discard(e);
    }
    if (pending === undefined) throw new Error("the bulk engine made no output");
    const done = await write(pending, async (node) => {
      if (node.stat().size !== b.header.payloadBytes) throw new FormatError("decrypted size differs from the header");
    });
    return { output: done, meta: b.meta };
  } finally {
    secret.fill(0);
  }
}

/** Runs `body` on the output, then commits it; discards it if either fails. */
async function write<R>(out: PendingOutput<R>, body: (node: FileNode) => Promise<void>): Promise<R> {
  try {
    await body(out.node);
    return await out.commit();
  } catch (e) {
    throw await out.discard(e);
  }
}

/** Decrypts a bundle held in memory (v2 or a legacy layout). */
export async function decryptBytes(ctx: Context, bundle: Uint8Array, o: DecryptOptions): Promise<{ plaintext: Uint8Array; meta: Meta | LegacyInfo }> {
  const memory: OutputPlace<Uint8Array> = async () => {
    const file = new MemoryFile();
    return {
      node: file,
      commit: async () => file.bytes(),
      discard: async (cause) => {
        file.wipe();
        return cause;
      },
    };
  };
  const { output, meta } = await decryptFrom(ctx, { source: new MemoryFile(bundle), name: "bundle.enc", whole: async () => bundle }, o, memory);
  return { plaintext: output, meta };
}
