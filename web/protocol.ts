/**
 * Messages between the page (web/app.ts) and the engine worker (web/worker.ts). Files travel as
 * `File` objects: posting one passes a reference to the user's file, not its bytes.
 */

export type Op = "encrypt" | "decrypt" | "info" | "sign" | "verify" | "selftest" | "release";

export interface EncryptOptionsMessage {
  /** Record the original file name in the meta-data (default true). */
  keepName?: boolean;
  /** Record the date in the meta-data (default true). */
  keepDate?: boolean;
  note?: string;
}

export interface Request {
  id: number;
  op: Op;
  /** encrypt: data files; decrypt/info: [bundle]; sign/verify: [file] (verify: [file, signature]). */
  files?: File[];
  /** encrypt/verify: public keys; decrypt/sign: [private key]. */
  keys?: File[];
  passphrase?: string;
  options?: EncryptOptionsMessage;
  /** release: output ids the page no longer needs. */
  ids?: string[];
}

export interface Output {
  name: string;
  file: File;
  id: string;
}

export type Result =
  | { op: "encrypt"; outputs: Output[]; warnings: string[] }
  | { op: "decrypt"; outputs: Output[]; meta: unknown }
  | { op: "info"; info: unknown }
  | { op: "sign"; outputs: Output[] }
  | { op: "verify"; verified: boolean; reason?: string }
  | { op: "selftest"; ok: boolean; lines: string[] }
  | { op: "release" };

export interface ProgressMessage {
  /** e.g. "encrypting", "checking", "decrypting". */
  phase: string;
  /** The file being worked on. */
  file: string;
  done: number;
  total: number;
}

export type Response =
  | { id: number; progress: ProgressMessage }
  | { id: number; result: Result }
  | { id: number; error: { name: string; message: string } }
  /** Sent once when the engine is compiled and checked (id 0), or `error` with id 0. */
  | { id: 0; ready: { openssl: string; storage: "opfs" | "memory" } };
