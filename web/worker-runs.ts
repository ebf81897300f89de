/**
 * The engine worker's verbs that make files: encrypt, decrypt and rotate (several files each, see
 * worker-files.ts) and key generation.
 */
import { Encrypter } from "../src/api/encrypter.js";
import { generateKeyPair, readPublicKeys } from "../src/api/keys.js";
import type { Context } from "../src/bundle/context.js";
import { readPrivateKey, type RsaPublicKey } from "../src/bundle/keys.js";
import type { HistoryEntry, Meta } from "../src/bundle/meta.js";
import type { KeyInput } from "../src/openssl/index.js";
import { readSmall } from "../src/runtime/browser/files.js";
import { decryptBlob, encryptBlob, rotateBlob, type EncryptBlobOptions } from "../src/verbs/browser.js";
import type { Request, Result } from "./protocol.js";
import { eachFile, packed, type RunEnv } from "./worker-files.js";

export class RequestError extends Error {
  override name = "UsageError";
}

export function need<T>(items: readonly T[] | undefined, what: string): [T, ...T[]] {
  const [first, ...rest] = items ?? [];
  if (first === undefined) throw new RequestError(`choose ${what}`);
  return [first, ...rest];
}

/** The request's private key with its passphrase, as the engine takes it (zero it with `wipe`). */
export function privateKey(r: Request): KeyInput {
  const [file] = need(r.keys, "your private key file");
  const key = readSmall(file, "private key");
  return r.passphrase === undefined || r.passphrase === "" ? { key } : { key, passphrase: new TextEncoder().encode(r.passphrase) };
}

export function wipe(k: KeyInput): void {
  k.key.fill(0);
  if (k.passphrase instanceof Uint8Array) k.passphrase.fill(0);
}

/** Runs `body` with the request's private key, checked once (a wrong passphrase is one error, not one per file), then zeroed. */
async function withPrivateKey<T>(ctx: Context, r: Request, body: (key: KeyInput) => Promise<T>): Promise<T> {
  const key = privateKey(r);
  try {
    await readPrivateKey(ctx, key);
    return await body(key);
  } finally {
    wipe(key);
  }
}

/** An encrypter for the request's public keys (`keys`, or `newKeys` for rotate), wiped afterwards. */
async function withEncrypter<T>(ctx: Context, r: Request, keys: File[] | undefined, body: (e: Encrypter) => Promise<T>): Promise<T> {
  const publicKeys = need(keys, r.op === "rotate" ? "the new public key file(s)" : "the public key file(s)").map((k) => readSmall(k, "public key"));
  const encrypter = await Encrypter.create(ctx, { publicKeys, engine: r.engine });
  try {
    return await body(encrypter);
  } finally {
    encrypter.wipe();
  }
}

function fileOptions(r: Request, env: RunEnv): EncryptBlobOptions {
  const o = r.options ?? {};
  return { noName: o.keepName === false, noDate: o.keepDate === false, note: o.note === undefined || o.note === "" ? undefined : o.note, signal: env.signal };
}

const short = (fingerprint: string) => `${fingerprint.slice(0, 16)}…`;
const whom = (m: Pick<Meta, "recipients">) => (m.recipients ?? []).map((k) => `${short(k.fingerprint)} (RSA ${k.bits})`).join(", ") || "(not recorded)";

/** What a rotated bundle says of itself: whom it is for now, and for whom it was before. */
function rotationDetail(name: string, meta: Meta): string {
  const before = (meta.history ?? []).map((h: HistoryEntry) => `${"converted" in h ? `a ${h.format} bundle` : whom(h)}${h.rotated === undefined ? "" : ` until ${h.rotated}`}`);
  return `${name}: now for ${whom(meta)}; before: ${before.join("; ") || "(no history recorded)"}`;
}

export async function encryptRun(ctx: Context, r: Request, env: RunEnv): Promise<Result> {
  const files = need(r.files, "the data file(s) to encrypt");
  return withEncrypter(ctx, r, r.keys, async (encrypter) => {
    const made = await eachFile(files, env, false, async (file, onProgress) => (await encryptBlob(encrypter, file, { ...fileOptions(r, env), onProgress })).output);
    return { op: "encrypt", warnings: [...encrypter.warnings], ...packed(made, "encrypted", env) };
  });
}

export async function decryptRun(ctx: Context, r: Request, env: RunEnv): Promise<Result> {
  const bundles = need(r.files, "the bundle(s) (.enc) to decrypt");
  // Read and checked once, before any bundle: a file that is not a public key is one error, not one per bundle.
  const signers: RsaPublicKey[] = [];
  for (const k of r.signers ?? []) signers.push(...(await readPublicKeys(ctx, readSmall(k, "signer's public key"))));
  return withPrivateKey(ctx, r, async (privateKey) => {
    const made = await eachFile(bundles, env, true, async (bundle, onProgress) => (await decryptBlob(ctx, bundle, { privateKey, signers, engine: r.engine, signal: env.signal, onProgress })).output);
    return { op: "decrypt", ...packed(made, "decrypted", env) };
  });
}

export async function rotateRun(ctx: Context, r: Request, env: RunEnv): Promise<Result> {
  const bundles = need(r.files, "the bundle(s) (.enc) to rotate");
  return withPrivateKey(ctx, r, (privateKey) =>
    withEncrypter(ctx, r, r.newKeys, async (encrypter) => {
      const details: string[] = [];
      const made = await eachFile(bundles, env, true, async (bundle, onProgress) => {
        const { output, meta } = await rotateBlob(encrypter, bundle, privateKey, { signal: env.signal, onProgress });
        details.push(rotationDetail(output.name, meta));
        return output;
      });
      return { op: "rotate", warnings: [...encrypter.warnings], details, ...packed(made, "rotated", env) };
    }),
  );
}

/** NAME.pub.pem and NAME.priv.pem, held in memory (a few KB): the page offers each as its own download. */
export async function genkeysRun(ctx: Context, r: Request): Promise<Result> {
  const g = r.genkeys;
  if (g === undefined) throw new RequestError("no key parameters given");
  const name = g.name.trim() === "" ? "lab" : g.name.trim();
  if (/[\\/:*?"<>|\p{Cc}]/u.test(name) || name.startsWith(".")) throw new RequestError(`the key name "${name}" cannot be a file name: use letters, digits, - and _`);
  const passphrase = g.passphrase === "" ? undefined : new TextEncoder().encode(g.passphrase);
  try {
    const pair = await generateKeyPair(ctx, { bits: g.bits, passphrase });
    const pem = (bytes: Uint8Array, file: string) => ({ name: file, file: new File([bytes as Uint8Array<ArrayBuffer>], file, { type: "application/x-pem-file" }), id: "" });
    return { op: "genkeys", outputs: [pem(pair.publicKey, `${name}.pub.pem`), pem(pair.privateKey, `${name}.priv.pem`)], fingerprint: pair.fingerprint, bits: g.bits };
  } finally {
    passphrase?.fill(0);
  }
}
