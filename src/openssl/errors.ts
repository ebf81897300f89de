/** The OpenSSL command exited non-zero. `stderr` is OpenSSL's own diagnostic text. */
export class OpenSSLError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number,
    readonly stderr: string,
    /** What the command printed on stdout (some report results there, e.g. "Verification failure"). */
    readonly stdout = "",
  ) {
    super(`openssl ${command} failed (exit ${exitCode}): ${firstLine(stderr)}`);
    this.name = "OpenSSLError";
  }
}

/** The wasm engine is not the one the manifest pins (corrupted, or built from other sources). */
export class EngineIntegrityError extends Error {
  constructor(
    readonly expectedSha256: string,
    readonly actualSha256: string,
  ) {
    super(`openssl.wasm sha256 ${actualSha256} does not match the manifest's ${expectedSha256}; rebuild with npm run build:wasm`);
    this.name = "EngineIntegrityError";
  }
}

/** The first line that says what went wrong (OpenSSL 3 may print deprecation warnings first). */
function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim() !== "" && !/^\*\*\*|WARNING/.test(l));
  return line?.trim() ?? "no error output";
}
