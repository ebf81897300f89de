import { oaepEncrypt, oaepEncryptMany } from "../openssl/index.js";
import { testSource } from "../openssl/test-seam.js";
import { systemRandom } from "../wasi/index.js";
import { IV_BYTES, SECRET_BYTES } from "./bulk/keys.js";
import type { Context } from "./context.js";
import type { RsaPublicKey } from "./keys.js";

const FIRST_FILL = 4;

/** A fresh one-time secret and IV, the secret already wrapped for each recipient. */
export interface OneTime {
  secret: Uint8Array;
  iv: Uint8Array;
  wrapped: Uint8Array[];
}

function draw(): { secret: Uint8Array; iv: Uint8Array } {
  const random = testSource()?.random ?? systemRandom;
  const secret = new Uint8Array(SECRET_BYTES);
  const iv = new Uint8Array(IV_BYTES);
  random(secret);
  random(iv);
  return { secret, iv };
}

/** One secret for one bundle: wrapped with one engine run per recipient. */
export async function oneTime(ctx: Context, recipients: readonly RsaPublicKey[]): Promise<OneTime> {
  const { secret, iv } = draw();
  try {
    return { secret, iv, wrapped: await Promise.all(recipients.map((r) => oaepEncrypt(ctx.openssl, r.pem, secret, "sha256"))) };
  } catch (e) {
    secret.fill(0);
    throw e;
  }
}

/**
 * One-time secrets for a batch of files to the same recipients, drawn and wrapped up to `size` at
 * a time in a single engine run: the engine's start-up (instantiation, OpenSSL's own, the key's
 * decoding: about 13 ms a run) is paid once per run instead of once per file. Each secret is
 * handed out once, and zeroed by the bundle that uses it; `wipe()` zeroes the ones never handed
 * out. Secrets exist only in memory.
 */
export class WrapPool {
  private ready: OneTime[] = [];
  private filling: Promise<void> | undefined;
  /** The first fill is small, so that the first file need not wait for `size` wraps. */
  private filled = false;
  /** How many more secrets the caller expects to take (see `expect`); unknown at first. */
  private upcoming = Infinity;

  constructor(
    private readonly ctx: Context,
    readonly recipients: readonly RsaPublicKey[],
    private readonly size = 32,
  ) {}

  /**
   * About how many more secrets will be taken: a run then wraps no more than that (a big `size`
   * pays off only if the wraps are used; each costs about 0.45 ms for RSA-3072).
   */
  expect(n: number): void {
    this.upcoming = Math.max(1, n);
  }

  async take(): Promise<OneTime> {
    for (;;) {
      const next = this.ready.shift();
      if (next !== undefined) {
        this.upcoming = Math.max(1, this.upcoming - 1);
        return next;
      }
      this.filling ??= this.fill().finally(() => (this.filling = undefined));
      await this.filling;
    }
  }

  private async fill(): Promise<void> {
    const count = Math.min(this.filled ? this.size : Math.min(this.size, FIRST_FILL), this.upcoming);
    const drawn = Array.from({ length: count }, draw);
    this.filled = true;
    try {
      const wrapped = await oaepEncryptMany(
        this.ctx.openssl,
        this.recipients.map((r) => r.der),
        drawn.map((d) => d.secret),
      );
      this.ready.push(...drawn.map((d, i) => ({ ...d, wrapped: wrapped[i] ?? [] })));
    } catch (e) {
      for (const d of drawn) d.secret.fill(0);
      throw e;
    }
  }

  wipe(): void {
    for (const r of this.ready) r.secret.fill(0);
    this.ready = [];
  }
}
