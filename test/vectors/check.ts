/**
 * The format vectors' manifest and the check of one case, shared by the Node, Deno and Chromium
 * runs. Runtime-neutral on purpose (no imports): each runtime passes in the library it tests and
 * a way to load the committed files. Only public names of the library are used, `decryptBytes`
 * and the error classes, so the vectors test the format as a user of the package meets it.
 */

/** What a case must give: the plaintext, or a failure of this error class (its name). */
export type Expectation = "success" | ErrorClassName;

export const ERROR_CLASSES = ["FormatError", "IntegrityError", "DecryptError", "PassphraseError", "PrivateKeyError"] as const;
export type ErrorClassName = (typeof ERROR_CLASSES)[number];

export interface VectorCase {
  name: string;
  /** The bundle, relative to test/vectors/ (several cases may share one). */
  file: string;
  /** The private key, relative to test/vectors/. */
  key: string;
  passphrase?: string;
  expect: Expectation;
  /** With `expect: "success"`: the plaintext's size and SHA-256 (lowercase hex). */
  size?: number;
  sha256?: string;
  /** What the case is, in a few words. */
  comment: string;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** The part of the library a vector run needs, as each runtime's entry point exports it. */
export interface VectorApi {
  decryptBytes(bundle: Uint8Array, o: { privateKey: { key: Uint8Array; passphrase?: string } }): Promise<{ plaintext: Uint8Array }>;
  errors: Record<ErrorClassName, ErrorClass> & { OpensslwrapError: ErrorClass };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function field(o: Record<string, unknown>, name: string, type: "string" | "number", at: string): void {
  if (typeof o[name] !== type) throw new Error(`manifest case ${at}: "${name}" must be a ${type}`);
}

/** Reads manifest.json: `{ "cases": [...] }`, every case checked for the fields it needs. */
export function parseManifest(text: string): VectorCase[] {
  const doc: unknown = JSON.parse(text);
  if (!isRecord(doc) || !Array.isArray(doc["cases"])) throw new Error('manifest: expected { "cases": [...] }');
  const names = new Set<string>();
  return doc["cases"].map((c: unknown, i): VectorCase => {
    if (!isRecord(c)) throw new Error(`manifest case ${i}: not an object`);
    for (const f of ["name", "file", "key", "expect", "comment"]) field(c, f, "string", String(i));
    const v = c as unknown as VectorCase;
    if (names.has(v.name)) throw new Error(`manifest: two cases named ${v.name}`);
    names.add(v.name);
    if (v.passphrase !== undefined) field(c, "passphrase", "string", v.name);
    if (v.expect === "success") {
      field(c, "size", "number", v.name);
      if (typeof v.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(v.sha256)) throw new Error(`manifest case ${v.name}: "sha256" must be 64 hex digits`);
    } else if (!(ERROR_CLASSES as readonly string[]).includes(v.expect)) {
      throw new Error(`manifest case ${v.name}: "expect" must be "success" or one of ${ERROR_CLASSES.join(", ")}`);
    }
    return v;
  });
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes)));
  return Array.from(d, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * Decrypts one case's bundle with its key and compares the outcome with the manifest. Returns
 * undefined when it is as expected, else one line saying what happened instead.
 */
export async function checkCase(c: VectorCase, load: (file: string) => Promise<Uint8Array>, api: VectorApi): Promise<string | undefined> {
  const bundle = await load(c.file);
  const key = await load(c.key);
  const privateKey = c.passphrase === undefined ? { key } : { key, passphrase: c.passphrase };
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await api.decryptBytes(bundle, { privateKey }));
  } catch (e) {
    if (!(e instanceof Error)) return `threw a non-Error: ${String(e)}`;
    const got = `${e.name}: ${e.message}`;
    if (c.expect === "success") return `expected the plaintext, got ${got}`;
    if (!(e instanceof api.errors[c.expect]) || e.name !== c.expect) return `expected ${c.expect}, got ${got}`;
    if (!(e instanceof api.errors.OpensslwrapError)) return `${c.expect} is not an OpensslwrapError`;
    if (e.message === "" || /[\r\n]/.test(e.message)) return `the message is not one line: ${JSON.stringify(e.message)}`;
    return undefined;
  }
  if (c.expect !== "success") return `expected ${c.expect}, but it decrypted (${plaintext.length} bytes)`;
  const digest = await sha256Hex(plaintext);
  if (plaintext.length !== c.size || digest !== c.sha256) return `plaintext of ${plaintext.length} bytes, sha256 ${digest}; expected ${c.size} bytes, ${c.sha256}`;
  return undefined;
}
