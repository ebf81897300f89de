/**
 * Messages between the page (web/app.ts) and the engine worker (web/worker.ts). Files travel as
 * `File` objects: posting one passes a reference to the user's file, not its bytes.
 */

export type Op = "encrypt" | "decrypt" | "rotate" | "genkeys" | "info" | "sign" | "verify" | "selftest" | "release" | "cancel";

/** Which bulk engine: "auto" (Web Crypto's AES, the fastest here) or "wasm" (everything in the OpenSSL engine). */
export type EngineChoice = "auto" | "wasm";

export interface EncryptOptionsMessage {
  /** Record the original file name in the meta-data (default true). */
  keepName?: boolean;
  /** Record the date in the meta-data (default true). */
  keepDate?: boolean;
  note?: string;
}

export interface GenkeysMessage {
  /** Base of the file names: NAME.pub.pem, NAME.priv.pem. */
  name: string;
  bits: number;
  /** Empty: no passphrase (the page asked the user to tick "no passphrase"). */
  passphrase: string;
}

export interface Request {
  id: number;
  op: Op;
  /** encrypt: data files; decrypt/rotate/info: bundles; sign/verify: [file] (verify: [file, signature]). */
  files?: File[];
  /** encrypt/verify: public keys; decrypt/sign/rotate: [private key]. */
  keys?: File[];
  /** rotate: the new recipients' public keys. */
  newKeys?: File[];
  /** decrypt: public keys that must each have signed a bundle (`decrypt --signer`). */
  signers?: File[];
  passphrase?: string;
  options?: EncryptOptionsMessage;
  genkeys?: GenkeysMessage;
  engine?: EngineChoice;
  /** release: output ids the page no longer needs. */
  ids?: string[];
  /** cancel: the request to stop. */
  target?: number;
}

export interface Output {
  name: string;
  file: File;
  /** For "release" (empty: nothing kept in browser storage). */
  id: string;
}

/** Where several files come out: the outputs, one zip of them all (stored, no copy), and the files that failed. */
export interface Outputs {
  outputs: Output[];
  zip?: Output;
  failed: { file: string; message: string }[];
}

export type Result =
  | ({ op: "encrypt"; warnings: string[] } & Outputs)
  | ({ op: "decrypt" } & Outputs)
  /** `details`: per bundle, whom it is now for and whom it was for before (its history). */
  | ({ op: "rotate"; warnings: string[]; details: string[] } & Outputs)
  | { op: "genkeys"; outputs: Output[]; fingerprint: string; bits: number }
  | { op: "info"; info: unknown }
  | { op: "sign"; outputs: Output[] }
  | { op: "verify"; verified: boolean; reason?: string }
  | { op: "selftest"; ok: boolean; lines: string[] }
  | { op: "release" }
  | { op: "cancel" };

export interface ProgressMessage {
  /** "encrypting", "decrypting", "rotating", "packing". */
  phase: string;
  /** The file being worked on. */
  file: string;
  done: number;
  total: number;
}

export interface Ready {
  openssl: string;
  storage: "opfs" | "memory";
  /** Where the HMAC of big files runs: "second worker" (cross-origin isolated page) or "one worker". */
  threads: "second worker" | "one worker";
  /**
   * On a cross-origin isolated page: a cell the page sets to a request's id to stop it, seen by
   * the worker even in the middle of a long engine command.
   */
  cancelCell?: SharedArrayBuffer;
}

export type Response =
  | { id: number; progress: ProgressMessage }
  | { id: number; result: Result }
  | { id: number; error: { name: string; message: string } }
  /** Sent once when the engine is compiled and checked (id 0), or `error` with id 0. */
  | { id: 0; ready: Ready };
