export { OpenSSLError, EngineIntegrityError } from "./errors.js";
export { runOpenSSL, runOpenSSLSync, type RunOptions, type RunResult, type InputFile } from "./run.js";
export { engineModule, sha256Hex } from "./engine.js";
export * from "./commands/index.js";
