import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { HmacSha256, Sha256 } from "../src/bundle/bulk/sha256.js";
import { hex, unhex } from "../src/openssl/hex.js";
import { pattern } from "./helpers/data.js";

/** src/bundle/bulk/sha256.ts: known answers (FIPS 180-4 examples, RFC 4231), then any split of the input. */

const text = (s: string) => new TextEncoder().encode(s);

describe("SHA-256", () => {
  it("gives the FIPS 180-4 example digests", () => {
    expect(hex(new Sha256().update(text("abc")).digest())).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hex(new Sha256().digest())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hex(new Sha256().update(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).digest())).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const million = new Sha256();
    const a = new Uint8Array(1000).fill(0x61);
    for (let i = 0; i < 1000; i++) million.update(a);
    expect(hex(million.digest())).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  });

  it("gives node:crypto's digest however the input is split, around every padding boundary", () => {
    for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 100_003]) {
      const data = pattern(n, n + 1);
      const expected = createHash("sha256").update(data).digest("hex");
      for (const cut of [0, 1, 63, 64, n >> 1, n]) {
        if (cut > n) continue;
        expect(hex(new Sha256().update(data.subarray(0, cut)).update(data.subarray(cut)).digest()), `${n} cut at ${cut}`).toBe(expected);
      }
    }
  });
});

describe("HMAC-SHA256", () => {
  // RFC 4231, test cases 1-4, 6 and 7 (5 truncates the tag).
  const cases: [string, string, string][] = [
    ["0b".repeat(20), hex(text("Hi There")), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
    [hex(text("Jefe")), hex(text("what do ya want for nothing?")), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"],
    ["aa".repeat(20), "dd".repeat(50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"],
    ["0102030405060708090a0b0c0d0e0f10111213141516171819", "cd".repeat(50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"],
    ["aa".repeat(131), hex(text("Test Using Larger Than Block-Size Key - Hash Key First")), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"],
    ["aa".repeat(131), hex(text("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.")), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"],
  ];
  for (const [i, [key, data, tag]] of cases.entries()) {
    it(`gives RFC 4231's tag, case ${i < 4 ? i + 1 : i + 2}`, () => {
      expect(hex(new HmacSha256(unhex(key)).update(unhex(data)).digest())).toBe(tag);
    });
  }

  it("gives node:crypto's tag for 32-byte keys fed in pieces", () => {
    const key = pattern(32, 5);
    const data = pattern(3 * 65_536 + 11, 6);
    const mac = new HmacSha256(key);
    for (let at = 0; at < data.length; at += 10_007) mac.update(data.subarray(at, at + 10_007));
    expect(hex(mac.digest())).toBe(createHmac("sha256", key).update(data).digest("hex"));
  });
});
