/**
 * Interoperability with an independent OpenSSL: the host's `openssl` (3.0.x) must read what the
 * wasm engine writes and the other way round, byte for byte where the operation is deterministic.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { convertKey, dgstSign, dgstVerify, digest, enc, genpkeyRsa, hmac, oaepDecrypt, oaepEncrypt, openssl, pkeySign, pkeyVerify, publicKeyOf, rsautlDecrypt, rsautlEncrypt, type OaepDigest, type SignaturePadding } from "../src/openssl-api.js";
import { byteDiff, flipped, hex, pattern, sameBytes, text, utf8 } from "./helpers/data.js";
import { host, hostTry, hostVersion } from "./helpers/host-openssl.js";

const KEY = pattern(32, 0x1111);
const IV = pattern(16, 0x2222);
const SALT = Uint8Array.from([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
const PASS = "correct horse battery staple";
const MESSAGE = utf8("lab data file content key: 0123456789abcdef0123456789abcdef\n");

const saltArgs = ["-S", hex(SALT)];
const b64Args = (base64: boolean | "single-line") => (base64 === false ? [] : base64 === true ? ["-a"] : ["-a", "-A"]);

/** The host's `enc` on `input`, returning its output file. */
function hostEnc(args: readonly string[], input: Uint8Array): Uint8Array {
  return host(["enc", ...args, "-in", "in", "-out", "out"], { inputs: { in: input, pw: PASS }, outputs: ["out"] }).file("out");
}

it("the referee is the host's own OpenSSL 3", () => {
  expect(hostVersion()).toMatch(/^OpenSSL 3\./);
});

describe("enc AES-256-CBC with a raw key (-K/-iv)", () => {
  for (const n of [0, 1, 15, 16, 17, 100_000]) {
    it(`${n} bytes: identical to the host, and decrypts back`, async () => {
      const input = pattern(n, 1000 + n);
      const ours = await enc(openssl, { input, key: { key: KEY, iv: IV } });
      const theirs = hostEnc(["-e", "-aes-256-cbc", "-K", hex(KEY), "-iv", hex(IV)], input);
      expect(ours.length).toBe((Math.floor(n / 16) + 1) * 16);
      expect(byteDiff(ours, theirs)).toEqual(sameBytes(theirs));
      expect(byteDiff(await enc(openssl, { input: ours, decrypt: true, key: { key: KEY, iv: IV } }), input)).toEqual(sameBytes(input));
      expect(byteDiff(hostEnc(["-d", "-aes-256-cbc", "-K", hex(KEY), "-iv", hex(IV)], ours), input)).toEqual(sameBytes(input));
    });
  }

  it("a small bufsize gives the same result", async () => {
    const input = pattern(100_000, 7);
    const ours = await enc(openssl, { input, key: { key: KEY, iv: IV }, bufsize: 4096 });
    const theirs = hostEnc(["-e", "-aes-256-cbc", "-K", hex(KEY), "-iv", hex(IV)], input);
    expect(byteDiff(ours, theirs)).toEqual(sameBytes(theirs));
  });
});

describe("enc with a password", () => {
  const input = pattern(1000, 42);

  for (const md of ["md5", "sha256"] as const) {
    for (const base64 of [false, true, "single-line"] as const) {
      it(`-md ${md} -S salt${base64 === false ? "" : base64 === true ? " -a" : " -a -A"}: identical both ways`, async () => {
        const args = ["-aes-256-cbc", "-pass", "file:pw", "-md", md, ...saltArgs, ...b64Args(base64)];
        const ours = await enc(openssl, { input, pass: PASS, md, salt: SALT, base64 });
        const theirs = hostEnc(["-e", ...args], input);
        expect(text(ours)).toBe(text(theirs));
        expect(ours).toEqual(theirs);
        if (base64 === true) expect(text(ours).split("\n").every((l) => l.length <= 64)).toBe(true);
        if (base64 === "single-line") expect(text(ours).trimEnd()).not.toContain("\n");
        // The host decrypts ours, we decrypt the host's.
        expect(hostEnc(["-d", ...args], ours)).toEqual(input);
        expect(await enc(openssl, { input: theirs, decrypt: true, pass: PASS, md, salt: SALT, base64 })).toEqual(input);
      });
    }
  }

  for (const iter of [true, 1000] as const) {
    it(`-pbkdf2${iter === true ? "" : ` -iter ${iter}`} -S salt: identical both ways`, async () => {
      const args = ["-aes-256-cbc", "-pass", "file:pw", "-pbkdf2", ...(iter === true ? [] : ["-iter", String(iter)]), ...saltArgs];
      const ours = await enc(openssl, { input, pass: PASS, pbkdf2: iter, salt: SALT });
      const theirs = hostEnc(["-e", ...args], input);
      expect(ours).toEqual(theirs);
      expect(hostEnc(["-d", ...args], ours)).toEqual(input);
      expect(await enc(openssl, { input: theirs, decrypt: true, pass: PASS, pbkdf2: iter, salt: SALT })).toEqual(input);
    });
  }

  it("a different salt gives a different ciphertext", async () => {
    const a = await enc(openssl, { input, pass: PASS, pbkdf2: true, salt: SALT });
    const b = await enc(openssl, { input, pass: PASS, pbkdf2: true, salt: flipped(SALT, 7) });
    expect(b).not.toEqual(a);
  });

  it("random salt: the Salted__ header is read by the host and by us", async () => {
    const args = ["-aes-256-cbc", "-pass", "file:pw", "-pbkdf2", "-a"];
    const ours = await enc(openssl, { input, pass: PASS, pbkdf2: true, base64: true });
    const again = await enc(openssl, { input, pass: PASS, pbkdf2: true, base64: true });
    expect(again).not.toEqual(ours);
    expect(Buffer.from(text(ours), "base64").subarray(0, 8).toString("latin1")).toBe("Salted__");
    expect(hostEnc(["-d", ...args], ours)).toEqual(input);
    const theirs = hostEnc(["-e", ...args], input);
    expect(await enc(openssl, { input: theirs, decrypt: true, pass: PASS, pbkdf2: true, base64: true })).toEqual(input);
  });
});

describe("dgst and HMAC", () => {
  const inputs: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["abc", utf8("abc")],
    ["100000 bytes", pattern(100_000, 5)],
  ];

  for (const algorithm of ["sha256", "sha1", "sha512", "sha3-256"]) {
    for (const [name, input] of inputs) {
      it(`dgst -${algorithm} of ${name}: identical`, async () => {
        const theirs = host(["dgst", `-${algorithm}`, "-binary", "-out", "out", "in"], { inputs: { in: input }, outputs: ["out"] }).file("out");
        expect(hex(await digest(openssl, input, algorithm))).toBe(hex(theirs));
      });
    }
  }

  it("sha256 of abc is the FIPS 180-2 vector", async () => {
    expect(hex(await digest(openssl, utf8("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("HMAC-SHA256 of RFC 4231 test case 2", async () => {
    expect(hex(await hmac(openssl, utf8("Jefe"), utf8("what do ya want for nothing?")))).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  });

  for (const keyLength of [32, 100]) {
    for (const [name, input] of inputs) {
      it(`HMAC-SHA256, ${keyLength}-byte key, ${name}: identical to -mac HMAC -macopt hexkey`, async () => {
        const key = pattern(keyLength, 77);
        const theirs = host(["dgst", "-sha256", "-mac", "HMAC", "-macopt", `hexkey:${hex(key)}`, "-binary", "-out", "out", "in"], {
          inputs: { in: input },
          outputs: ["out"],
        }).file("out");
        expect(hex(await hmac(openssl, key, input))).toBe(hex(theirs));
      });
    }
  }

  it("HMAC-SHA256 with a text key: identical to -hmac", async () => {
    const input = pattern(5000, 9);
    const theirs = host(["dgst", "-sha256", "-hmac", PASS, "-binary", "-out", "out", "in"], { inputs: { in: input }, outputs: ["out"] }).file("out");
    expect(hex(await hmac(openssl, utf8(PASS), input))).toBe(hex(theirs));
  });
});

describe("RSA keys, OAEP and signatures", () => {
  // Ours: generated by the wasm engine. Theirs: generated by the host.
  let ourKey: Uint8Array = new Uint8Array(0);
  let ourPub: Uint8Array = new Uint8Array(0);
  let ourEncKey: Uint8Array = new Uint8Array(0);
  let hostKey: Uint8Array = new Uint8Array(0);
  let hostPub: Uint8Array = new Uint8Array(0);
  let hostEncKey: Uint8Array = new Uint8Array(0);

  beforeAll(async () => {
    ourKey = await genpkeyRsa(openssl, { bits: 2048 });
    ourEncKey = await genpkeyRsa(openssl, { bits: 2048, passphrase: PASS });
    ourPub = host(["pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"], { inputs: { "key.pem": ourKey }, outputs: ["pub.pem"] }).file("pub.pem");
    hostKey = host(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "key.pem"], { outputs: ["key.pem"] }).file("key.pem");
    hostPub = host(["pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"], { inputs: { "key.pem": hostKey }, outputs: ["pub.pem"] }).file("pub.pem");
    hostEncKey = host(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-aes-256-cbc", "-pass", "file:pw", "-out", "key.pem"], {
      inputs: { pw: PASS },
      outputs: ["key.pem"],
    }).file("key.pem");
  }, 60_000);

  describe("keys", () => {
    it("our unencrypted key is a valid PKCS#8 key to the host", () => {
      expect(text(ourKey)).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      const r = host(["pkey", "-in", "key.pem", "-check", "-noout"], { inputs: { "key.pem": ourKey } });
      expect(text(r.stdout)).toMatch(/Key is valid/);
      const t = host(["pkey", "-in", "key.pem", "-text", "-noout"], { inputs: { "key.pem": ourKey } });
      expect(text(t.stdout)).toMatch(/Private-Key: \(2048 bit, 2 primes\)/);
    });

    it("our passphrase-protected key is AES-256-CBC PKCS#8 that the host opens with -passin file:", () => {
      expect(text(ourEncKey)).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
      const r = host(["pkey", "-in", "key.pem", "-passin", "file:pw", "-check", "-noout"], { inputs: { "key.pem": ourEncKey, pw: PASS } });
      expect(text(r.stdout)).toMatch(/Key is valid/);
      const asn1 = text(host(["asn1parse", "-in", "key.pem"], { inputs: { "key.pem": ourEncKey } }).stdout);
      expect(asn1).toMatch(/PBES2/);
      expect(asn1).toMatch(/aes-256-cbc/);
      expect(hostTry(["pkey", "-in", "key.pem", "-passin", "pass:wrong", "-noout"], { inputs: { "key.pem": ourEncKey } }).status).not.toBe(0);
    });

    it("publicKeyOf equals the host's pkey -pubout", async () => {
      expect(text(await publicKeyOf(openssl, { key: hostKey }))).toBe(text(hostPub));
      expect(text(await publicKeyOf(openssl, { key: ourKey }))).toBe(text(ourPub));
      const hostEncPub = host(["pkey", "-in", "key.pem", "-passin", "file:pw", "-pubout", "-out", "pub.pem"], {
        inputs: { "key.pem": hostEncKey, pw: PASS },
        outputs: ["pub.pem"],
      }).file("pub.pem");
      expect(text(await publicKeyOf(openssl, { key: hostEncKey, passphrase: PASS }))).toBe(text(hostEncPub));
      const ourEncPub = host(["pkey", "-in", "key.pem", "-passin", "file:pw", "-pubout", "-out", "pub.pem"], {
        inputs: { "key.pem": ourEncKey, pw: PASS },
        outputs: ["pub.pem"],
      }).file("pub.pem");
      expect(text(await publicKeyOf(openssl, { key: ourEncKey, passphrase: PASS }))).toBe(text(ourEncPub));
    });

    it("decrypting the host's encrypted key gives the host's plain PKCS#8 PEM", async () => {
      const theirs = host(["pkey", "-in", "key.pem", "-passin", "file:pw", "-out", "plain.pem"], {
        inputs: { "key.pem": hostEncKey, pw: PASS },
        outputs: ["plain.pem"],
      }).file("plain.pem");
      expect(text(await convertKey(openssl, { key: hostEncKey, passphrase: PASS }))).toBe(text(theirs));
    });

    it("the host's passphrase-protected key decrypts the host's OAEP ciphertext in our engine", async () => {
      const ct = host(
        ["pkeyutl", "-encrypt", "-inkey", "key.pem", "-passin", "file:pw", "-in", "msg", "-out", "ct", ...hostOaep("sha256")],
        { inputs: { "key.pem": hostEncKey, pw: PASS, msg: MESSAGE }, outputs: ["ct"] },
      ).file("ct");
      expect(await oaepDecrypt(openssl, { key: hostEncKey, passphrase: PASS }, ct, "sha256")).toEqual(MESSAGE);
      expect(await oaepDecrypt(openssl, { key: hostEncKey, passphrase: utf8(PASS) }, ct, "sha256")).toEqual(MESSAGE);
    });
  });

  function hostOaep(md: OaepDigest): string[] {
    return ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", `rsa_oaep_md:${md}`, "-pkeyopt", `rsa_mgf1_md:${md}`];
  }

  describe("RSA-OAEP", () => {
    for (const md of ["sha256", "sha1"] as const) {
      it(`OAEP-${md}: our encryption decrypts on the host`, async () => {
        const ct = await oaepEncrypt(openssl, hostPub, MESSAGE, md);
        expect(ct).toHaveLength(256);
        const r = host(["pkeyutl", "-decrypt", "-inkey", "key.pem", "-in", "ct", "-out", "pt", ...hostOaep(md)], {
          inputs: { "key.pem": hostKey, ct },
          outputs: ["pt"],
        });
        expect(r.file("pt")).toEqual(MESSAGE);
        // OAEP is randomised: a second encryption differs.
        expect(await oaepEncrypt(openssl, hostPub, MESSAGE, md)).not.toEqual(ct);
      });

      it(`OAEP-${md}: the host's encryption decrypts in our engine`, async () => {
        const ct = host(["pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-in", "msg", "-out", "ct", ...hostOaep(md)], {
          inputs: { "pub.pem": ourPub, msg: MESSAGE },
          outputs: ["ct"],
        }).file("ct");
        expect(await oaepDecrypt(openssl, { key: ourKey }, ct, md)).toEqual(MESSAGE);
      });
    }

    it("OAEP-sha256 at the maximum message size (190 bytes) both ways", async () => {
      const msg = pattern(190, 3);
      const ct = await oaepEncrypt(openssl, hostPub, msg);
      expect(host(["pkeyutl", "-decrypt", "-inkey", "key.pem", "-in", "ct", "-out", "pt", ...hostOaep("sha256")], { inputs: { "key.pem": hostKey, ct }, outputs: ["pt"] }).file("pt")).toEqual(msg);
      const theirs = host(["pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-in", "msg", "-out", "ct", ...hostOaep("sha256")], {
        inputs: { "pub.pem": ourPub, msg },
        outputs: ["ct"],
      }).file("ct");
      expect(await oaepDecrypt(openssl, { key: ourKey }, theirs)).toEqual(msg);
    });

    it("host rsautl -encrypt -oaep decrypts with our rsautlDecrypt (and pkeyutl OAEP-sha1)", async () => {
      const ct = host(["rsautl", "-encrypt", "-oaep", "-pubin", "-inkey", "pub.pem", "-in", "msg", "-out", "ct"], {
        inputs: { "pub.pem": ourPub, msg: MESSAGE },
        outputs: ["ct"],
      }).file("ct");
      expect(await rsautlDecrypt(openssl, { key: ourKey }, ct, "oaep")).toEqual(MESSAGE);
      expect(await oaepDecrypt(openssl, { key: ourKey }, ct, "sha1")).toEqual(MESSAGE);
    });

    it("host rsautl -encrypt -pkcs decrypts with our rsautlDecrypt pkcs, with a passphrase-protected key", async () => {
      const pub = await publicKeyOf(openssl, { key: ourEncKey, passphrase: PASS });
      const ct = host(["rsautl", "-encrypt", "-pkcs", "-pubin", "-inkey", "pub.pem", "-in", "msg", "-out", "ct"], {
        inputs: { "pub.pem": pub, msg: MESSAGE },
        outputs: ["ct"],
      }).file("ct");
      expect(await rsautlDecrypt(openssl, { key: ourEncKey, passphrase: PASS }, ct, "pkcs")).toEqual(MESSAGE);
    });

    it("our rsautlEncrypt decrypts with host rsautl", async () => {
      for (const padding of ["oaep", "pkcs"] as const) {
        const ct = await rsautlEncrypt(openssl, hostPub, MESSAGE, padding);
        const pt = host(["rsautl", "-decrypt", `-${padding}`, "-inkey", "key.pem", "-in", "ct", "-out", "pt"], { inputs: { "key.pem": hostKey, ct }, outputs: ["pt"] }).file("pt");
        expect(pt).toEqual(MESSAGE);
      }
    });
  });

  describe("signatures (SHA-256)", () => {
    const message = pattern(10_000, 11);
    const hostSigopts = (p: SignaturePadding) => (p === "pss" ? ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"] : []);

    function hostVerify(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array, p: SignaturePadding) {
      return hostTry(["dgst", "-sha256", "-verify", "pub.pem", ...hostSigopts(p), "-signature", "sig", "msg"], { inputs: { "pub.pem": pub, sig, msg } });
    }

    function hostSign(key: Uint8Array, msg: Uint8Array, p: SignaturePadding): Uint8Array {
      return host(["dgst", "-sha256", "-sign", "key.pem", ...hostSigopts(p), "-out", "sig", "msg"], { inputs: { "key.pem": key, msg }, outputs: ["sig"] }).file("sig");
    }

    for (const p of ["pss", "pkcs1"] as const) {
      it(`${p}: our dgstSign and pkeySign verify on the host`, async () => {
        for (const sig of [await dgstSign(openssl, { key: ourKey }, message, p), await pkeySign(openssl, { key: ourKey }, message, p)]) {
          expect(sig).toHaveLength(256);
          const ok = hostVerify(ourPub, message, sig, p);
          expect(ok.status, ok.stderr).toBe(0);
          expect(text(ok.stdout)).toMatch(/Verified OK/);
          // The referee does reject: a tampered message fails on the host too.
          expect(hostVerify(ourPub, flipped(message, 100), sig, p).status).not.toBe(0);
        }
      });

      it(`${p}: a passphrase-protected key signs for the host`, async () => {
        const pub = await publicKeyOf(openssl, { key: ourEncKey, passphrase: PASS });
        const sig = await dgstSign(openssl, { key: ourEncKey, passphrase: PASS }, message, p);
        expect(hostVerify(pub, message, sig, p).status).toBe(0);
        const sig2 = await pkeySign(openssl, { key: ourEncKey, passphrase: PASS }, message, p);
        expect(hostVerify(pub, message, sig2, p).status).toBe(0);
      });

      it(`${p}: the host's signature verifies with dgstVerify and pkeyVerify`, async () => {
        const sig = hostSign(hostKey, message, p);
        expect(await dgstVerify(openssl, hostPub, message, sig, p)).toBe(true);
        expect(await pkeyVerify(openssl, hostPub, message, sig, p)).toBe(true);
      });

      it(`${p}: a tampered message, a tampered signature or the wrong public key verifies false`, async () => {
        const sig = hostSign(hostKey, message, p);
        const tampered = flipped(message, 5000);
        expect(await dgstVerify(openssl, hostPub, tampered, sig, p)).toBe(false);
        expect(await pkeyVerify(openssl, hostPub, tampered, sig, p)).toBe(false);
        const badSig = flipped(sig, 128);
        expect(await dgstVerify(openssl, hostPub, message, badSig, p)).toBe(false);
        expect(await pkeyVerify(openssl, hostPub, message, badSig, p)).toBe(false);
        expect(await dgstVerify(openssl, ourPub, message, sig, p)).toBe(false);
        expect(await pkeyVerify(openssl, ourPub, message, sig, p)).toBe(false);
      });
    }

    it("pkcs1 signatures are deterministic: ours equal the host's byte for byte", async () => {
      const theirs = hostSign(hostKey, message, "pkcs1");
      expect(hex(await dgstSign(openssl, { key: hostKey }, message, "pkcs1"))).toBe(hex(theirs));
      expect(hex(await pkeySign(openssl, { key: hostKey }, message, "pkcs1"))).toBe(hex(theirs));
    });

    it("pss signatures are randomised", async () => {
      const a = await dgstSign(openssl, { key: hostKey }, message, "pss");
      const b = await dgstSign(openssl, { key: hostKey }, message, "pss");
      expect(a).not.toEqual(b);
      expect(hostVerify(hostPub, message, a, "pss").status).toBe(0);
      expect(hostVerify(hostPub, message, b, "pss").status).toBe(0);
    });

    it("a PSS signature does not verify as PKCS#1 v1.5, nor the other way round", async () => {
      expect(await dgstVerify(openssl, hostPub, message, hostSign(hostKey, message, "pss"), "pkcs1")).toBe(false);
      expect(await pkeyVerify(openssl, hostPub, message, hostSign(hostKey, message, "pkcs1"), "pss")).toBe(false);
    });
  });
});
