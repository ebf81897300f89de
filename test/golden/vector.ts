/**
 * The cross-runtime golden vector: the same inputs and the same injected randomness must give the
 * same bytes on Node, Deno and Chromium. Runtime-neutral on purpose (no imports): each runtime
 * passes in its own build of the library and of the test-only determinism seam.
 */

/** Fixed RSA-2048 test keys. Test fixtures only: never use them for data. */

const A_PRIV = `-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCwTjVYx1hcPIJP
9M1PEfvul+4tRxoJOHYvhy80tOST1nI4PRTw6Cjvse8f/4HB3C4/rFwCx5vtgu88
omCs4Bb7cKY5iPGtdMqRmLgmkjJ4AKO0pSHG5R5DS3l+ILWWGs6ExKk5DOwOq2Y0
BRhonlw3A0h08YLMGHqmwUHNWBl0rv8zD6qSYT7lIqYSzJ3uhKc5mg0Lc/6Rna3Y
uHDaXq+r8AXnGj/AxO4BMX1YGDiqeh/3DpydWYBi5fjN3IAoSi6DB2chQWYkxlwy
C7K462MhTf7Bo4Q4A9FKQ41nS0mI3MW7IcIJliOtXbrdVZHN2HSUuN1okvgC+D4D
SRSLHYv5AgMBAAECggEAB/SbfSRPpSfY1H1OJ19/IALMjU/8SYa59IaT13vDJbWj
RUziTUWYlUpQ6T95DjOehaKEK17w9wx1uaV1Gc/p0ZJBee6nQyW2P1AmHR1zOA2F
VZEu/z/W9//nnUyiDQIsJ/sMzMV7wGS1EataMNxWemgERLyiI44GONCXJMoxKd3p
Ybi9M+CXISeUJ1OsPWeziyCU4N+brMT5vzVIliERigJqJit/zIiyn+5DSw4bqbvs
Q3QG+CrGZQDgS20MZDEeFAUYO8q9UGpLWVOhRDAJC17QL+e4w1TdwZCbohp3Qhu+
BXfXyC8+piRL4yRzTdvKLtTYVsbeTOGI5yYei5jg9QKBgQDrRMiZKJ6UFbOKzzUq
ZBSfSU0bM+ZWc2UZhG+Pp6XCaLQgenHqSCb1+aTimggUwdER5hcTSxqVq6jTMDcQ
dRDQOHJ2728/zLt0sduMeXwOnOpzjnBWLD8irerzShrslt/U5xI3acOEmkU9Ykm8
E77m776Yb3E6Xh6Swap6EioptQKBgQC/11OxE2JykFob5lo4moXDhbnS4GfuVZxe
NYHsZPuRmmktuN3r5mJakyXqrlwVd0ASNeflaWGabCly5NbnSwpApuPzsFGyatyL
5wgKCvL//iLJZqv9tyNQUtzQ2WuLJNiX0cG9To5FAvSmIQ1lz/4843+GQXZPW5Xt
a7t//GMztQKBgD4fXnyarizaAhugFSDJZmyc9WA+dw7Sz5pKTw72rJ1F+nItAtFj
Fe6Tacdv9rxMZUE9qVAt36ovtpd1PsT4tGTW0tq25IBLNiBdKmTQW0KciofSz7Th
YBZvJ//vzGY2fIoCLdw18CuedLP9tQyVhi4Clig4HQTVf2su+i3biAiVAoGANmw/
sdxt8VJCPef7cFNl3zHwpYJD+bkPwyoq0YVUWNoVPINVcbbJ8CgOeaU9Olm6M3BX
eR2MMuK8X3vL+5GuNukhgeBjTNpD9uxzu2Wfyj+uXrRh1ng97GuVeSo0+CRbzbYT
4ECI28sa3IZD5r46wctIQi4QAjNZNSF677QJ8IECgYB9SsKn5InXD0+Ii45633pi
RPU7GflJy3/2ukJ0F6aLgvNzHrs5xwwFwImKAWY0YTLI4656byVZ3j6z17haPmt4
beNqeKttUHuZZwfqMEF8jFKA85axEruLR05MgRaZMJTM1NzL0JTr/Q9/IUXpNtMY
euY0oPJiSgNchhgoIC6ldQ==
-----END PRIVATE KEY-----
`;

export const A_PUB = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsE41WMdYXDyCT/TNTxH7
7pfuLUcaCTh2L4cvNLTkk9ZyOD0U8Ogo77HvH/+BwdwuP6xcAseb7YLvPKJgrOAW
+3CmOYjxrXTKkZi4JpIyeACjtKUhxuUeQ0t5fiC1lhrOhMSpOQzsDqtmNAUYaJ5c
NwNIdPGCzBh6psFBzVgZdK7/Mw+qkmE+5SKmEsyd7oSnOZoNC3P+kZ2t2Lhw2l6v
q/AF5xo/wMTuATF9WBg4qnof9w6cnVmAYuX4zdyAKEougwdnIUFmJMZcMguyuOtj
IU3+waOEOAPRSkONZ0tJiNzFuyHCCZYjrV263VWRzdh0lLjdaJL4Avg+A0kUix2L
+QIDAQAB
-----END PUBLIC KEY-----
`;

export const B_PRIV = `-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDCMqfoNWMqUkgV
b6Rzc6giYdStCjcta4RqnIg4spsFn+1Ug1c39ueA6CIIdvFooQaFzAnbqbDE3wkO
wt97z/WqB3W8L3IEaTgBIgn2Rw+9GVmgBVxI5KkosklSfFpY4+/O8qQtDMXwEk3j
ySUF32nXuC88mmNgRu4xt8YPDWA9/shjB1b7s4xTQxo+EDR/3jBN9J617YlTUolI
3oM5pXCqoDJGu4NDhPjRHw+m1q6sbxGCT3Ata61g9NCbHGqRroN5Z0JdKwyIL+TB
ofKi+QYG3BWCFbqggzz+QDWvliN7WXFkiNNM4/n729uYycSFHKVM8bNZM4uqI0Aw
q6ed4GjhAgMBAAECggEAALXEfAXxjcAvMnXthK9RZHwXp1Fy95Vp5dXvwzgQeNFA
S7KvGe01thepfQLhrwZ5HqS6i8lQOwDUeKL+OkWuK7x1XCe32EtWPIysJAIVubnl
seHqSVa+uB55owasLff8BIq8XfyiFht/NRFFNXSOmLaKpJyV6WSh2MAuk6z5aJ7L
b4XcEURacHWAshQ+ovIdNFy0Cs0hdshE1Cr9bjCsgE/oLX50uvjnuyTaLfZ/9EXt
8Dg4h8uUOaB+64QsAhTOnjjHncbi/zt4Ig8ir2j0SjOo2+Cma24/3tP8k2MLen7H
eFYwCqznZJyiEBEXY7iU36ruz0zcz51Z+cs/CHajCQKBgQDgNfdS51KU4ZXg3KNd
GAVRpP7V3U4AK3ThLNgqJWFRkfDhhy7GmMlBrq8qx5hlO0yjKpETpJLFhmRqMql8
FW1P/+h6/YV9BzE/yAq2XxZgdQBo6KqZW4icNuIL9MLKcI8kg/7+z1+6eFS1bNjM
PU7iGDwzuQzWlR+Zffh61g0K2QKBgQDdu1R3DZRro73WU8xmcM1dqNgV8zdsFDRN
dWpJAcQLZSe6cdQmozszYZN/IykGNhTnLSZ9s51oRnGgTTJF7jJxl11vinWPP0sr
K7QSPyWwHXSsbyS+xZLCbjTatFKuJCCi9Z2qA96fSTmxISdUUfvzAhZPrSCitZ5B
+38P7+45SQKBgBPhVRu5vR3MXtDAX4/amGYj3iCybb8gG033/vbFt7pW2Wf155Te
aUH0rj150y5usp3pIVH/jrAK+Y5dDaAd+kJUq5V0M0jhwWEpaKHBDqfg1/d1YeMV
Nai8SRDMVBVFI7wWJB8N3iwXjVNE4nhBm2P6yCPB7bx9Hn8qp0SlBCUJAoGADEqj
LwpYrPLhxizVCuS77bI7cFQQQXSJRbX5k1x+sqcD4ckHmrC3ymxhUc3wK0D6Pap6
FMPNOQeWqu08mTXQJA3hBxrk03ENyLHehJhtjWrEmf57SfwH27FiSrFuV+r2yDHX
cKJQSAI2KYSN+pWk4t69v+L4CS0KPdwkOgzx5skCgYEA1tKtn6aYcOtg8Rsqjfz4
b2Vx+gHkwVLcVMPjNXWIBuZ3745wKcoW7gAZVzdp6mtihBmMljcStxxXr31kEH2Z
GAOjg5fxA4j/VziNrr+2cY0MNutsoyeTyqVa5Rr9lGQA/rdBw4k4Ir/ji0BfKOE7
aOGiCho9/vwE9IeUC47/35g=
-----END PRIVATE KEY-----
`;

export const B_PUB = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwjKn6DVjKlJIFW+kc3Oo
ImHUrQo3LWuEapyIOLKbBZ/tVINXN/bngOgiCHbxaKEGhcwJ26mwxN8JDsLfe8/1
qgd1vC9yBGk4ASIJ9kcPvRlZoAVcSOSpKLJJUnxaWOPvzvKkLQzF8BJN48klBd9p
17gvPJpjYEbuMbfGDw1gPf7IYwdW+7OMU0MaPhA0f94wTfSete2JU1KJSN6DOaVw
qqAyRruDQ4T40R8PptaurG8Rgk9wLWutYPTQmxxqka6DeWdCXSsMiC/kwaHyovkG
BtwVghW6oIM8/kA1r5Yje1lxZIjTTOP5+9vbmMnEhRylTPGzWTOLqiNAMKunneBo
4QIDAQAB
-----END PUBLIC KEY-----
`;

type Random = (dst: Uint8Array) => void;

export interface GoldenApi {
  encryptBytes(plaintext: Uint8Array, o: { publicKeys: Uint8Array[]; name: string; note: string; signWith: { key: Uint8Array } }): Promise<Uint8Array>;
  runOpenSSL(argv: string[], o: { files?: Record<string, Uint8Array>; dirs?: string[] }): Promise<{ stdout: Uint8Array; files: Map<string, Uint8Array> }>;
  setTestSource(s: { random: Random; engineRandom: () => Random; clock: { realtimeNs(): bigint; monotonicNs(): bigint }; now: () => Date } | undefined): void;
}

/** A reproducible byte stream (xorshift32): NOT random, for byte-for-byte comparisons only. */
export function stream(seed: number): Random {
  let x = seed >>> 0 || 1;
  return (dst) => {
    for (let i = 0; i < dst.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      dst[i] = x & 0xff;
    }
  };
}

export const deterministicSource = () => ({
  random: stream(0x5eed),
  engineRandom: () => stream(0xe9e),
  clock: { realtimeNs: () => 1_780_963_200_000_000_000n, monotonicNs: () => 1_000_000n },
  now: () => new Date(Date.UTC(2026, 5, 9)),
});

const utf8 = (s: string) => new TextEncoder().encode(s);

async function sha256(b: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(b)));
  return Array.from(d, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * Commands over /in/plain (the golden plaintext) whose output depends on nothing else: no
 * randomness, no clock. The portable suite runs them too, from test/portable/golden/golden.json.
 */
export const FIXED_COMMANDS: Record<string, string[]> = {
  "enc -aes-256-cbc -K -iv": ["enc", "-aes-256-cbc", "-K", "11".repeat(32), "-iv", "22".repeat(16), "-in", "/in/plain", "-out", "/out/o"],
  "enc -pass -S -md md5 -a": ["enc", "-aes-256-cbc", "-pass", "pass:golden", "-S", "0102030405060708", "-md", "md5", "-a", "-in", "/in/plain", "-out", "/out/o"],
  "dgst -sha256 -hmac": ["dgst", "-sha256", "-hmac", "golden", "-binary", "-out", "/out/o", "/in/plain"],
};

export function goldenPlaintext(): Uint8Array {
  const p = new Uint8Array(100_003);
  stream(7)(p);
  return p;
}

/** SHA-256 of every output, by name, and the bundle itself (for cross-runtime decryption). */
export async function computeGolden(api: GoldenApi): Promise<{ hashes: Record<string, string>; bundle: Uint8Array }> {
  const plain = goldenPlaintext();
  api.setTestSource(deterministicSource());
  try {
    const bundle = await api.encryptBytes(plain, { publicKeys: [utf8(A_PUB), utf8(B_PUB)], name: "golden.bin", note: "golden vector", signWith: { key: utf8(A_PRIV) } });
    const files = { "/in/plain": plain, "/in/secret": plain.subarray(0, 64), "/keys/a.pub": utf8(A_PUB), "/keys/a.pem": utf8(A_PRIV) };
    const out = async (argv: string[]) => {
      const r = await api.runOpenSSL(argv, { files, dirs: ["/out"] });
      return r.files.get("/out/o") ?? r.stdout;
    };
    const hashes: Record<string, string> = { bundle: await sha256(bundle) };
    for (const [name, argv] of Object.entries(FIXED_COMMANDS)) hashes[name] = await sha256(await out(argv));
    Object.assign(hashes, {
      "pkeyutl -encrypt oaep (injected randomness)": await sha256(await out(["pkeyutl", "-encrypt", "-pubin", "-inkey", "/keys/a.pub", "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-in", "/in/secret", "-out", "/out/o"])),
      "dgst -sign pss (injected randomness)": await sha256(await out(["dgst", "-sha256", "-sign", "/keys/a.pem", "-sigopt", "rsa_padding_mode:pss", "-out", "/out/o", "/in/plain"])),
      "genpkey rsa 1024 (injected randomness)": await sha256(await out(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "/out/o"])),
    });
    return { hashes, bundle };
  } finally {
    api.setTestSource(undefined);
  }
}
