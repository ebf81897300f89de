/**
 * The light encryptor's golden vector: the golden plaintext and keys (./vector.ts) encrypted by
 * `opensslwrap/upload` with an injected one-time secret, IV, time and the engine's meta-data lines,
 * so that the engine, given the same inputs and the same wrapped keys, must write the same bytes.
 * Runtime-neutral: Node runs it directly, Chromium through test/golden/upload-browser.ts.
 */
import { encryptForUpload } from "../../src/upload/index.js";
import { setUploadTestSource } from "../../src/upload/test-seam.js";
import { TOOL_VERSION } from "../../src/version.js";
import { A_PUB, B_PUB, goldenPlaintext, stream } from "./vector.js";

export const UPLOAD_GOLDEN = {
  name: "golden.bin",
  note: "golden vector",
  created: new Date(Date.UTC(2026, 5, 9)),
};

/** The injected one-time secret and IV (a fresh copy each call). */
export function goldenSecret(): { secret: Uint8Array; iv: Uint8Array } {
  const draw = stream(0x5eed);
  const secret = new Uint8Array(64);
  const iv = new Uint8Array(16);
  draw(secret);
  draw(iv);
  return { secret, iv };
}

/**
 * The golden bundle made by the light encryptor (its wrapped keys, and so its tag, vary per run),
 * with the meta-data lines only the engine writes: its tool and `openssl`, the engine's version line.
 */
export async function uploadGolden(openssl: string): Promise<Uint8Array> {
  setUploadTestSource({ ...goldenSecret(), now: UPLOAD_GOLDEN.created, engine: { tool: `opensslwrap ${TOOL_VERSION}`, openssl } });
  try {
    const blob = await encryptForUpload(goldenPlaintext(), { publicKeys: [A_PUB, B_PUB], name: UPLOAD_GOLDEN.name, note: UPLOAD_GOLDEN.note });
    return new Uint8Array(await blob.arrayBuffer());
  } finally {
    setUploadTestSource(undefined);
  }
}
