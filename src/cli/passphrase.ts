import * as fs from "node:fs";
import { PassphraseError } from "../bundle/errors.js";
import { equalBytes } from "../bundle/views.js";
import { UsageError } from "./args.js";

/**
 * A passphrase from --passphrase-file (its first line), else OPENSSLWRAP_PASSPHRASE, else a
 * hidden prompt when stdin is a terminal, else none. Returned as bytes the caller zeroes. With
 * `confirm` (a new key's passphrase), one typed at the terminal is asked for twice, and two that
 * differ are refused.
 */
export async function passphrase(file: string | undefined, prompt: string, needed: boolean, confirm?: string): Promise<Uint8Array | undefined> {
  if (file !== undefined) {
    let content: Buffer;
    try {
      content = fs.readFileSync(file);
    } catch {
      throw new UsageError(`cannot read passphrase file ${file}`);
    }
    const end = content.findIndex((b) => b === 0x0a || b === 0x0d);
    const pass = new Uint8Array(content.subarray(0, end < 0 ? content.length : end));
    content.fill(0);
    return pass;
  }
  const env = process.env["OPENSSLWRAP_PASSPHRASE"];
  if (env !== undefined) return new TextEncoder().encode(env);
  if (!needed || process.stdin.isTTY !== true) return undefined;
  const typed = await hiddenPrompt(prompt);
  // An empty one is refused by the caller at once: no point asking for it again.
  if (confirm === undefined || typed.length === 0) return typed;
  const again = await hiddenPrompt(confirm);
  const same = equalBytes(typed, again);
  again.fill(0);
  if (same) return typed;
  typed.fill(0);
  throw new PassphraseError("the two passphrases typed differ: nothing written");
}

function hiddenPrompt(prompt: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    const chars: number[] = [];
    // Raw (no echo) before the prompt shows: what is typed at once must not be echoed.
    stdin.setRawMode(true);
    process.stderr.write(prompt);
    stdin.resume();
    const done = (result: Uint8Array | Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer) => {
      for (const byte of chunk) {
        if (byte === 0x0d || byte === 0x0a) return done(Uint8Array.from(chars.splice(0)));
        if (byte === 0x03) return done(new UsageError("cancelled"));
        if (byte === 0x7f || byte === 0x08) chars.pop();
        else chars.push(byte);
      }
      chunk.fill(0);
    };
    stdin.on("data", onData);
  });
}

/** Whether a PEM private key is passphrase-protected (so a prompt is worth showing). */
export function isEncryptedKey(pem: Uint8Array): boolean {
  const text = new TextDecoder("latin1").decode(pem);
  return text.includes("ENCRYPTED PRIVATE KEY") || text.includes("Proc-Type: 4,ENCRYPTED");
}
