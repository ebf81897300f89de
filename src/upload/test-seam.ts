/**
 * Test-only determinism for the light encryptor: with a source set, `encryptForUpload` takes its
 * one-time secret, IV, time and the engine's meta-data lines from it, so that a test can hold its bundle byte for
 * byte against the engine's. Not exported from `opensslwrap/upload`; production code never sets
 * it. (The wrapped keys stay random: Web Crypto's OAEP draws its own randomness.)
 */
export interface UploadTestSource {
  /** 64 bytes: the AES-256 key, then the HMAC key. Copied, never zeroed by the encryptor. */
  secret: Uint8Array;
  iv: Uint8Array;
  now: Date;
  /**
   * The meta-data lines only the engine writes (its `tool`, its `openssl` version line), to hold
   * the two writers' meta-data to each other byte for byte.
   */
  engine?: { tool: string; openssl: string };
}

let source: UploadTestSource | undefined;

export function setUploadTestSource(s: UploadTestSource | undefined): void {
  source = s;
}

export function uploadTestSource(): UploadTestSource | undefined {
  return source;
}
