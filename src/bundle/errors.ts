/**
 * Typed failures of opensslwrap. Each message is one line naming the cause, and never contains
 * a secret: no key bytes, no passphrase, no plaintext.
 */
export class OpensslwrapError extends Error {
  override name = "OpensslwrapError";
}

/** Not a bundle, or a bundle whose structure is broken (truncated, extra or missing members...). */
export class FormatError extends OpensslwrapError {
  override name = "FormatError";
}

/** The tag does not match: the bundle was altered or corrupted. No plaintext was written. */
export class IntegrityError extends OpensslwrapError {
  override name = "IntegrityError";
}

/** This private key cannot open the bundle. `recipients` are the fingerprints that can. */
export class DecryptError extends OpensslwrapError {
  override name = "DecryptError";
  constructor(
    message: string,
    readonly recipients: readonly string[] = [],
  ) {
    super(message);
  }
}

/** A public key was needed and what was given is not one (or not RSA). */
export class PublicKeyError extends OpensslwrapError {
  override name = "PublicKeyError";
}

/** A private key was needed and what was given is not one (or not RSA). */
export class PrivateKeyError extends OpensslwrapError {
  override name = "PrivateKeyError";
}

/** The passphrase is wrong, or missing for a protected key. */
export class PassphraseError extends OpensslwrapError {
  override name = "PassphraseError";
}

/** The RSA key is below the minimum size (2048 bits). */
export class KeyTooShortError extends OpensslwrapError {
  override name = "KeyTooShortError";
  constructor(readonly bits: number) {
    super(`RSA key too short: ${bits} bits (at least 2048 required)`);
  }
}

/**
 * A bundle is not signed by a key it was required to be signed by: no signature by that key, or
 * one that does not verify. `signer` is the key's fingerprint. No plaintext was written.
 */
export class SignatureError extends OpensslwrapError {
  override name = "SignatureError";
  constructor(
    message: string,
    readonly signer: string,
  ) {
    super(message);
  }
}

/** The output file exists and overwriting was not asked for. */
export class FileExistsError extends OpensslwrapError {
  override name = "FileExistsError";
}

/**
 * A file could not be replaced, moved or removed because another program holds it (Windows: a
 * spreadsheet or editor that has it open, antivirus, an indexer, a sync client), after retrying.
 */
export class FileBusyError extends OpensslwrapError {
  override name = "FileBusyError";
}

/** The first line of an error's message: what the command line and the web page show of a failure. */
export function errorLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}
