import * as fs from "node:fs";
import * as path from "node:path";
import { splitPems } from "../api/keys.js";
import type { KeyInput } from "../openssl/index.js";
import { UsageError } from "./args.js";
import { isEncryptedKey, passphrase } from "./passphrase.js";

export const say = (line: string): void => void process.stdout.write(`${line}\n`);
const warned = new Set<string>();
/** A warning on stderr, once per process however many files repeat it. */
export function warn(line: string): void {
  if (warned.has(line)) return;
  warned.add(line);
  process.stderr.write(`opensslwrap: warning: ${line}\n`);
}

export function readFile(p: string, what: string): Uint8Array {
  try {
    return fs.readFileSync(p);
  } catch {
    throw new UsageError(`cannot read ${what} ${p}`);
  }
}

/** A key argument as files: a folder stands for its `*.pub.pem` files, in name order; anything else for itself. */
export function keyFiles(arg: string): string[] {
  let isFolder = false;
  try {
    isFolder = fs.statSync(arg).isDirectory();
  } catch {
    return [arg]; // readFile names it
  }
  if (!isFolder) return [arg];
  const files = fs.readdirSync(arg).filter((n) => /\.pub\.pem$/i.test(n)).sort();
  if (files.length === 0) throw new UsageError(`no *.pub.pem file in folder ${arg}`);
  return files.map((n) => path.join(arg, n));
}

/**
 * The public keys that `--pubkey` / `--signer` arguments name: each a file of one PEM key or
 * several one after another (a recipients file), or a folder of `*.pub.pem` files.
 */
export function publicKeyArgs(args: readonly string[], what = "public key"): Uint8Array[] {
  return args.flatMap(keyFiles).flatMap((f) => splitPems(readFile(f, what)));
}

/** A private key file with its passphrase (asked for only when the key is protected). */
export async function privateKey(p: string, passphraseFile: string | undefined): Promise<KeyInput> {
  const key = readFile(p, "private key");
  const isPrivate = new TextDecoder("latin1").decode(key).includes("PRIVATE KEY-----");
  if (isPrivate && process.platform !== "win32" && (fs.statSync(p).mode & 0o077) !== 0) warn(`private key ${p} is readable by other users (chmod 600 ${p})`);
  const pass = await passphrase(passphraseFile, `passphrase for ${p}: `, isEncryptedKey(key));
  return pass === undefined ? { key } : { key, passphrase: pass };
}

export function wipeKey(k: KeyInput): void {
  if (k.passphrase instanceof Uint8Array) k.passphrase.fill(0);
}

/**
 * Text from a bundle (meta-data, names) with its control characters shown as \uXXXX escapes:
 * ESC and C1 sequences from a hostile bundle must not reach the terminal. Keeps \n and \t. In
 * JSON text such characters can only stand inside strings, where the escape means the same.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export function json(value: unknown): void {
  say(printable(JSON.stringify(value, null, 2)));
}

/** Prints a verb's help; exit code 0. */
export function help(text: string): number {
  say(text);
  return 0;
}

/** A file's size, or 0 when it cannot be read (the verb then reports the real error). */
export function fileSize(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return 0;
  }
}

/** A moment's wait on this thread (standard output is full: the reader is behind). */
const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Writes plaintext to standard output as the engine produces it (synchronously: the engine's
 * writes are). A pipe that Node made non-blocking answers EAGAIN while its reader is behind: wait
 * and write again. A closed pipe (EPIPE) ends the run with that error.
 */
export function writeStdout(bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) {
    try {
      done += fs.writeSync(1, bytes, done, bytes.length - done);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      pause(2);
    }
  }
}
