import type { InputFile } from "./run.js";

/**
 * Secrets (passphrases) reach OpenSSL as in-memory files under /secrets, never as argv of a host
 * process. Each is a private copy, zeroed by `wipe()` once the command has run.
 */
export class Secrets {
  private readonly copies: Uint8Array[] = [];
  readonly files: Record<string, InputFile> = {};

  /** Mounts `secret` and returns the `file:` argument that names it. */
  pass(name: string, secret: Uint8Array | string): string {
    // new Uint8Array(x) copies; x.slice() would not for a Node Buffer (its slice is a view).
    const copy = typeof secret === "string" ? new TextEncoder().encode(secret) : new Uint8Array(secret);
    this.copies.push(copy);
    this.files[`/secrets/${name}`] = copy;
    return `file:/secrets/${name}`;
  }

  wipe(): void {
    for (const c of this.copies) c.fill(0);
  }
}

/** Runs `body` with a fresh `Secrets`, wiping it afterwards whatever happens. */
export async function withSecrets<T>(body: (s: Secrets) => Promise<T>): Promise<T> {
  const s = new Secrets();
  try {
    return await body(s);
  } finally {
    s.wipe();
  }
}
