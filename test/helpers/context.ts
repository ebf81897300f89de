/** The Node context the tests run library internals on: the one the package's entry points use. */
import { defaultNodeContext } from "../../src/runtime/node/context.js";
import type { EngineChoice } from "../../src/bundle/bulk/engine.js";
import { readPrivateKey } from "../../src/bundle/keys.js";
import { openBundle, openJob, unwrap } from "../../src/bundle/v2.js";
import type { KeyInput } from "../../src/openssl/index.js";
import { MemoryFile } from "../../src/wasi/index.js";

export const ctx = defaultNodeContext();
export const openssl = ctx.openssl;

/**
 * Opens a bundle with a private key and checks its tag with one sequential HMAC over the whole
 * authenticated data (the bulk engine's `view` does, whatever its size); throws IntegrityError if wrong.
 */
export async function checkTagSequentially(bundle: Uint8Array, key: KeyInput, engine?: EngineChoice): Promise<void> {
  const b = await openBundle(ctx, new MemoryFile(bundle));
  const secret = await unwrap(ctx, b, key, await readPrivateKey(ctx, key));
  try {
    (await ctx.bulk(engine).view(openJob(b, secret))).close();
  } finally {
    secret.fill(0);
  }
}
