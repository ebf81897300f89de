// The light encryptor in Chromium, from source (with its test seam): bundled by test/browser/upload.test.ts.
import { encryptForUpload, MAX_UPLOAD_BYTES } from "../../src/upload/index.js";
import { uploadGolden } from "./upload-vector.js";

const bytes = async (blob: Blob) => Array.from(new Uint8Array(await blob.arrayBuffer()));
const api = {
  golden: async (openssl: string) => Array.from(await uploadGolden(openssl)),
  fresh: async (pem: string, text: string) => bytes(await encryptForUpload(text, { publicKeys: [pem], name: "fresh.csv" })),
  /** How a call ends: "accepted", or the error's class and message. */
  refusal: (pem: string, size = 1) =>
    encryptForUpload(new Blob([new Uint8Array(size)]), { publicKeys: [pem] }).then(
      () => "accepted",
      (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)),
    ),
  tooLarge: MAX_UPLOAD_BYTES + 1,
};
(globalThis as unknown as { upload: typeof api }).upload = api;
