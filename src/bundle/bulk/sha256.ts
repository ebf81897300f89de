/**
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) that take their input in pieces, for runtimes
 * whose native digest cannot: Web Crypto hashes and signs only whole buffers, and a payload of
 * gigabytes is never held whole. Plain TypeScript over typed arrays; known-answer tests in
 * test/sha256.test.ts (FIPS 180-4 examples, RFC 4231).
 */

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
  0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
  0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
  0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const INITIAL = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const BLOCK = 64;

export class Sha256 {
  private readonly state = Int32Array.from(INITIAL);
  private readonly w = new Int32Array(64);
  private readonly pending = new Uint8Array(BLOCK);
  private pendingBytes = 0;
  /** Bytes hashed so far (exact up to 2^53). */
  private length = 0;

  update(data: Uint8Array): this {
    this.length += data.length;
    let at = 0;
    if (this.pendingBytes > 0) {
      at = Math.min(data.length, BLOCK - this.pendingBytes);
      this.pending.set(data.subarray(0, at), this.pendingBytes);
      this.pendingBytes += at;
      if (this.pendingBytes < BLOCK) return this;
      this.blocks(new DataView(this.pending.buffer), 0, 1);
      this.pendingBytes = 0;
    }
    const whole = Math.floor((data.length - at) / BLOCK);
    if (whole > 0) this.blocks(new DataView(data.buffer, data.byteOffset, data.length), at, whole);
    at += whole * BLOCK;
    this.pending.set(data.subarray(at), 0);
    this.pendingBytes = data.length - at;
    return this;
  }

  /** The digest; the object is spent (and its buffers zeroed) afterwards. */
  digest(): Uint8Array {
    const bits = this.length * 8;
    const pad = new Uint8Array((this.pendingBytes < 56 ? 64 : 128) - this.pendingBytes);
    pad[0] = 0x80;
    const tail = new DataView(pad.buffer);
    tail.setUint32(pad.length - 8, Math.floor(bits / 2 ** 32));
    tail.setUint32(pad.length - 4, bits >>> 0);
    this.update(pad);
    const out = new Uint8Array(32);
    const view = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) view.setInt32(i * 4, this.state[i] as number);
    this.wipe();
    return out;
  }

  wipe(): void {
    this.state.fill(0);
    this.w.fill(0);
    this.pending.fill(0);
  }

  /** Compresses `count` blocks of `data` from byte `at`. */
  private blocks(data: DataView, at: number, count: number): void {
    const s = this.state;
    const w = this.w;
    let a = s[0] as number, b = s[1] as number, c = s[2] as number, d = s[3] as number;
    let e = s[4] as number, f = s[5] as number, g = s[6] as number, h = s[7] as number;
    for (let n = 0; n < count; n++, at += BLOCK) {
      for (let i = 0; i < 16; i++) w[i] = data.getInt32(at + i * 4);
      for (let i = 16; i < 64; i++) {
        const x = w[i - 15] as number;
        const y = w[i - 2] as number;
        const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[i] = ((w[i - 16] as number) + s0 + (w[i - 7] as number) + s1) | 0;
      }
      const a0 = a, b0 = b, c0 = c, d0 = d, e0 = e, f0 = f, g0 = g, h0 = h;
      for (let i = 0; i < 64; i++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const t1 = (h + S1 + ((e & f) ^ (~e & g)) + (K[i] as number) + (w[i] as number)) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g;
        g = f;
        f = e;
        e = (d + t1) | 0;
        d = c;
        c = b;
        b = a;
        a = (t1 + t2) | 0;
      }
      a = (a + a0) | 0;
      b = (b + b0) | 0;
      c = (c + c0) | 0;
      d = (d + d0) | 0;
      e = (e + e0) | 0;
      f = (f + f0) | 0;
      g = (g + g0) | 0;
      h = (h + h0) | 0;
    }
    s[0] = a;
    s[1] = b;
    s[2] = c;
    s[3] = d;
    s[4] = e;
    s[5] = f;
    s[6] = g;
    s[7] = h;
  }
}

/** HMAC-SHA256 fed in pieces. */
export class HmacSha256 {
  private readonly inner = new Sha256();
  private readonly outerPad = new Uint8Array(BLOCK);

  constructor(key: Uint8Array) {
    const k = new Uint8Array(BLOCK);
    if (key.length > BLOCK) {
      const hashed = new Sha256().update(key).digest();
      k.set(hashed);
      hashed.fill(0);
    } else k.set(key);
    const innerPad = k.map((x) => x ^ 0x36);
    for (let i = 0; i < BLOCK; i++) this.outerPad[i] = (k[i] as number) ^ 0x5c;
    this.inner.update(innerPad);
    k.fill(0);
    innerPad.fill(0);
  }

  update(data: Uint8Array): this {
    this.inner.update(data);
    return this;
  }

  /** The tag; the object is spent (and its key material zeroed) afterwards. */
  digest(): Uint8Array {
    const inner = this.inner.digest();
    const tag = new Sha256().update(this.outerPad).update(inner).digest();
    this.outerPad.fill(0);
    inner.fill(0);
    return tag;
  }

  wipe(): void {
    this.inner.wipe();
    this.outerPad.fill(0);
  }
}
