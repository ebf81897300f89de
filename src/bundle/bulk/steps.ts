import type { FileNode, FileStorage } from "../../wasi/index.js";
import { IntegrityError } from "../errors.js";
import { TappedFile } from "../hooked-files.js";
import { CompareSink, equalBytes } from "../views.js";
import type { MacThread } from "./engine.js";

/** Pieces every bulk engine uses the same way, whatever runs its cipher and MAC. */

const ALTERED = "the bundle was altered or corrupted (integrity check failed); nothing decrypted";

/** Refuses a payload whose tag is not the bundle's, before anything is decrypted. */
export function requireTag(computed: Uint8Array, expected: Uint8Array): void {
  if (!equalBytes(computed, expected)) throw new IntegrityError(ALTERED);
}

/** Refuses a payload whose tag, computed while decrypting, is not the bundle's: `output` is emptied first. */
export function requireTagAfter(computed: Uint8Array, expected: Uint8Array, output: FileNode): void {
  if (equalBytes(computed, expected)) return;
  const storage = output.open({ read: false, write: true });
  try {
    storage.truncate(0);
  } finally {
    storage.close();
  }
  throw new IntegrityError(ALTERED);
}

/**
 * The payload half of the read-back check, as a pass after the encryption: `decrypt` turns the
 * ciphertext (read back from where it was written) into a sink that compares it with the
 * original; no plaintext copy anywhere.
 */
export async function decryptsTo(
  original: Pick<FileStorage, "read">,
  size: number,
  decrypt: (into: FileNode) => Promise<void>,
  equal?: (a: Uint8Array, b: Uint8Array) => boolean,
): Promise<boolean> {
  const compare = new CompareSink(original, equal);
  await decrypt(compare);
  return compare.matches(size);
}

/** `file`, with every byte read from or written to it, in order, also given to `mac`. */
export function teed(file: FileNode, mac: MacThread): FileNode {
  let fed = 0;
  return new TappedFile(file, (bytes, position) => {
    if (position !== fed) throw new RangeError("the MAC thread is fed in order");
    mac.write(bytes);
    fed += bytes.length;
  });
}

/** Gives `thread` the authenticated prefix, runs `body` (which feeds it the payload), and returns the tag. */
export async function macAlong(thread: MacThread, authenticated: Uint8Array, body: () => unknown): Promise<Uint8Array> {
  try {
    thread.write(authenticated);
    await body();
    return await thread.finish();
  } catch (e) {
    thread.abort();
    throw e;
  }
}
