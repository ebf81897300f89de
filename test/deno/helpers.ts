/**
 * Shared helpers of the Deno suites (run by `npm run test:deno`, not by vitest): a temp folder per
 * suite, keys made by the library, streaming sha256, pattern files and a tar member locator.
 */
import { createHash } from "node:crypto";
// The library's source by name, as deno.json's imports map it (what `deno publish` ships).
import * as ow from "opensslwrap";
import * as engine from "opensslwrap/openssl";

export { engine, ow };

/** The built library from the same source, as `node` imports it in the cross-runtime checks. */
export const DIST_INDEX = new URL("../../dist/index.js", import.meta.url).href;

export interface Keys {
  privPem: Uint8Array;
  pubPem: Uint8Array;
  privPath: string;
  pubPath: string;
  fingerprint: string;
}

/** A fresh temp folder; `Deno.makeTempDir` honours TMPDIR. */
export function tempDir(prefix: string): Promise<string> {
  return Deno.makeTempDir({ prefix: `osw-deno-${prefix}-` });
}

export async function removeDir(dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true });
}

/** An RSA key pair from the library's own generateKeyPair (no host openssl needed), also written to DIR. */
export async function makeKeys(dir: string, name: string, passphrase?: string): Promise<Keys> {
  const pair = await ow.generateKeyPair({ bits: 2048, passphrase });
  const privPath = `${dir}/${name}.priv.pem`;
  const pubPath = `${dir}/${name}.pub.pem`;
  await Deno.writeFile(privPath, pair.privateKey, { mode: 0o600 });
  await Deno.writeFile(pubPath, pair.publicKey);
  return { privPem: pair.privateKey, pubPem: pair.publicKey, privPath, pubPath, fingerprint: pair.fingerprint };
}

/** Fills `out` with deterministic, non-repeating-looking bytes, as found at stream offset `offset` (a multiple of 4). */
function fillPattern(out: Uint8Array, offset: number): Uint8Array {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let i = 0;
  for (; i + 4 <= out.length; i += 4) view.setUint32(i, Math.imul((offset + i) >>> 2, 2654435761) >>> 0, true);
  for (; i < out.length; i++) out[i] = (offset + i) & 0xff;
  return out;
}

export function pattern(size: number): Uint8Array {
  return fillPattern(new Uint8Array(size), 0);
}

/** Writes a `size`-byte pattern file in chunks through one reused buffer (never the whole file in memory). */
export async function writePatternFile(path: string, size: number, chunk = 4 << 20): Promise<void> {
  const buffer = new Uint8Array(chunk);
  const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  try {
    for (let done = 0; done < size; done += chunk) {
      const part = fillPattern(buffer.subarray(0, Math.min(chunk, size - done)), done);
      for (let at = 0; at < part.length; ) at += await file.write(part.subarray(at));
    }
  } finally {
    file.close();
  }
}

/** SHA-256 of a file, read in chunks. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  const file = await Deno.open(path, { read: true });
  try {
    const buf = new Uint8Array(4 << 20);
    for (;;) {
      const n = await file.read(buf);
      if (n === null) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    file.close();
  }
  return hash.digest("hex");
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Offset and length of a member's content in a ustar archive (the bundle is one). */
export function tarMember(archive: Uint8Array, name: string): { offset: number; size: number } {
  const ascii = new TextDecoder("latin1");
  for (let at = 0; at + 512 <= archive.length; ) {
    const header = archive.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const memberName = ascii.decode(header.subarray(0, 100)).replace(/\0.*$/s, "");
    const size = parseInt(ascii.decode(header.subarray(124, 136)).replace(/[\0 ]/g, ""), 8);
    if (memberName === name) return { offset: at + 512, size };
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`no member ${name}`);
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node --input-type=module -e SCRIPT ARGS...`: the same dist/ under Node, for cross-runtime checks. */
export async function runNode(script: string, args: readonly string[], cwd?: string): Promise<Ran> {
  const out = await new Deno.Command("node", { args: ["--input-type=module", "-e", script, "--", ...args], cwd, stdin: "null" }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}
