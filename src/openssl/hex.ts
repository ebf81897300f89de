/** Lowercase hex of `bytes` (keys for `-K`, fingerprints, digests). */
export const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** The bytes of a hex string (known-answer vectors); stops at the first pair that is not hex. */
export const unhex = (text: string): Uint8Array => Uint8Array.from(text.match(/[0-9a-fA-F]{2}/g) ?? [], (x) => parseInt(x, 16));
