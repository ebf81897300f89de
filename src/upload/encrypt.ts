import { OpensslwrapError, PublicKeyError } from "../bundle/errors.js";
import { formatHeader, MAX_RECIPIENTS } from "../bundle/header.js";
import { hex } from "../openssl/hex.js";
import { checkNote, minimalMeta, safeBaseName, serializeMeta, type Meta } from "../bundle/meta.js";
import { END, memberHeader, padding } from "../bundle/tar.js";
import { browserPlatform } from "../runtime/browser/platform.js";
import { TOOL_VERSION } from "../version.js";
import { readRecipient, type UploadRecipient } from "./keys.js";
import { uploadTestSource } from "./test-seam.js";

/**
 * Most bytes `encryptForUpload` takes: it holds the data, its ciphertext, the bytes the tag covers
 * and the bundle in memory at once (Web Crypto's HMAC is one shot).
 */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

/** Recorded as the meta-data's `tool`: a bundle says which program made it. */
export const UPLOAD_TOOL = `opensslwrap-upload ${TOOL_VERSION}`;

/** The data is larger than `MAX_UPLOAD_BYTES`. */
export class UploadTooLargeError extends OpensslwrapError {
  override name = "UploadTooLargeError";
  constructor(readonly size: number) {
    super(`data too large to encrypt in the browser: ${size} bytes, at most ${MAX_UPLOAD_BYTES} (64 MiB); encrypt larger files with the opensslwrap library or command line`);
  }
}

export interface UploadOptions {
  /** The lab's public keys (PEM "PUBLIC KEY", RSA of 2048 bits or more), 1 to 16; each can decrypt alone. */
  publicKeys: readonly (string | Uint8Array)[];
  /** File name recorded in the meta-data, which the server can read: no participant IDs. */
  name?: string;
  /** One line, at most 120 characters, recorded in the meta-data (readable by the server). */
  note?: string;
}

/** The data as bytes Web Crypto takes; `owned` when they are a copy of ours (zeroed after use). */
async function plaintextOf(data: string | Uint8Array | Blob): Promise<{ bytes: Uint8Array<ArrayBuffer>; owned: boolean }> {
  const checked = (n: number) => {
    if (n > MAX_UPLOAD_BYTES) throw new UploadTooLargeError(n);
  };
  if (typeof data === "string") {
    const bytes = new TextEncoder().encode(data);
    if (bytes.length > MAX_UPLOAD_BYTES) bytes.fill(0);
    checked(bytes.length);
    return { bytes, owned: true };
  }
  if (data instanceof Uint8Array) {
    checked(data.length);
    // Web Crypto reads only ArrayBuffer-backed views (not SharedArrayBuffer ones).
    return data.buffer instanceof ArrayBuffer ? { bytes: data as Uint8Array<ArrayBuffer>, owned: false } : { bytes: new Uint8Array(data), owned: true };
  }
  if (data instanceof Blob) {
    checked(data.size);
    return { bytes: new Uint8Array(await data.arrayBuffer()), owned: true };
  }
  throw new TypeError("data must be a string, a Uint8Array or a Blob");
}

/** meta.json, field for field in the engine's order (src/bundle/v2.ts), without an `openssl` line (no engine). */
function uploadMeta(recipients: readonly UploadRecipient[], size: number, o: UploadOptions): Meta {
  const seam = uploadTestSource();
  const name = o.name === undefined ? undefined : safeBaseName(o.name);
  return {
    ...minimalMeta(),
    cipher: "aes-256-ctr",
    mac: "hmac-sha256",
    wrap: "rsa-oaep-sha256",
    recipients: recipients.map((r) => ({ fingerprint: r.fingerprint, bits: r.bits })),
    file: { ...(name !== undefined ? { name } : {}), size },
    created: (seam?.now ?? new Date()).toISOString(),
    tool: UPLOAD_TOOL,
    ...seam?.engine,
    platform: browserPlatform(),
    ...(o.note !== undefined ? { note: o.note } : {}),
  };
}

/** A tar member as Blob parts (the format helpers' bytes are all ArrayBuffer-backed). */
function member(name: string, content: Uint8Array): BlobPart[] {
  return [memberHeader(name, content.length), content, padding(content.length)] as Uint8Array<ArrayBuffer>[];
}

/**
 * Encrypts `data` into a standard opensslwrap bundle (docs/FORMAT.md, version 2) for the lab's
 * public keys, with Web Crypto only: the CLI, the library and scripts/decrypt-with-openssl.sh
 * open it with the lab's private key. Nothing secret leaves this function; the one-time secret
 * is zeroed before it returns.
 */
export async function encryptForUpload(data: string | Uint8Array | Blob, o: UploadOptions): Promise<Blob> {
  if (o.note !== undefined) checkNote(o.note);
  if (o.publicKeys.length === 0) throw new PublicKeyError("no public key given");
  if (o.publicKeys.length > MAX_RECIPIENTS) throw new RangeError(`between 1 and ${MAX_RECIPIENTS} recipients`);
  const recipients = await Promise.all(o.publicKeys.map(readRecipient));
  const plaintext = await plaintextOf(data);
  const seam = uploadTestSource();
  const secret = new Uint8Array(64);
  const iv = new Uint8Array(16);
  if (seam === undefined) {
    crypto.getRandomValues(secret);
    crypto.getRandomValues(iv);
  } else {
    secret.set(seam.secret);
    iv.set(seam.iv);
  }
  try {
    const [aesKey, macKey, wrapped] = await Promise.all([
      crypto.subtle.importKey("raw", secret.subarray(0, 32), "AES-CTR", false, ["encrypt"]),
      crypto.subtle.importKey("raw", secret.subarray(32), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
      Promise.all(recipients.map(async (r) => new Uint8Array(await crypto.subtle.encrypt({ name: "RSA-OAEP" }, r.key, secret)))),
    ]);
    const size = plaintext.bytes.length;
    const meta = serializeMeta(uploadMeta(recipients, size, o));
    const header = formatHeader({
      iv,
      payloadBytes: size,
      metaSha256: hex(new Uint8Array(await crypto.subtle.digest("SHA-256", meta as Uint8Array<ArrayBuffer>))),
      recipients: recipients.map((r) => r.fingerprint),
      signers: [],
    });
    // Encrypt-then-MAC over header.txt, key-1..N.oaep, payload.bin: laid out once, the payload last.
    const covered = new Uint8Array(header.length + wrapped.reduce((n, w) => n + w.length, 0) + size);
    let at = 0;
    for (const part of [header, ...wrapped]) {
      covered.set(part, at);
      at += part.length;
    }
    // AES-CTR with the whole 128-bit block as the counter, as `openssl enc -aes-256-ctr` counts.
    covered.set(new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CTR", counter: iv, length: 128 }, aesKey, plaintext.bytes)), at);
    const tag = new Uint8Array(await crypto.subtle.sign("HMAC", macKey, covered));
    return new Blob(
      [
        ...member("header.txt", header),
        ...wrapped.flatMap((w, i) => member(`key-${i + 1}.oaep`, w)),
        ...member("payload.bin", covered.subarray(at)),
        ...member("meta.json", meta),
        ...member("tag.hmac", tag),
        END as Uint8Array<ArrayBuffer>,
      ],
      { type: "application/x-tar" },
    );
  } finally {
    secret.fill(0);
    if (plaintext.owned) plaintext.bytes.fill(0);
  }
}
