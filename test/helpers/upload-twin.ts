import type { EngineChoice } from "../../src/bundle/bulk/engine.js";
import { readPublicKey } from "../../src/bundle/keys.js";
import { openBundle, seal } from "../../src/bundle/v2.js";
import { MemoryFile } from "../../src/wasi/index.js";
import { goldenSecret, uploadGolden, UPLOAD_GOLDEN } from "../golden/upload-vector.js";
import { A_PUB, B_PUB, goldenPlaintext } from "../golden/vector.js";
import { ctx } from "./context.js";

/** The light encryptor's golden bundle made on Node, with the Node engine's meta-data lines. */
export async function uploadGoldenHere(): Promise<Uint8Array> {
  return uploadGolden(await ctx.openssl.version());
}

/**
 * The engine's bundle for the light encryptor's golden vector: the same plaintext, one-time
 * secret, IV and meta-data, and the wrapped keys taken from `uploaded` (Web Crypto's OAEP is
 * randomised, so neither side can reproduce the other's). Must equal `uploaded` byte for byte.
 */
export async function engineTwin(uploaded: Uint8Array, engine: EngineChoice): Promise<Uint8Array> {
  const theirs = await openBundle(ctx, new MemoryFile(uploaded));
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const out = new MemoryFile();
  const sealed = await seal(ctx, new MemoryFile(goldenPlaintext()), out, {
    recipients: [await readPublicKey(ctx, utf8(A_PUB)), await readPublicKey(ctx, utf8(B_PUB))],
    name: UPLOAD_GOLDEN.name,
    created: UPLOAD_GOLDEN.created.toISOString(),
    note: UPLOAD_GOLDEN.note,
    platform: theirs.meta.platform,
    engine,
    oneTime: { ...goldenSecret(), wrapped: theirs.wrapped },
  });
  sealed.wipe();
  return out.bytes();
}
