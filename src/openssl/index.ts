export { OpenSSLError, EngineIntegrityError } from "./errors.js";
export { runOpenSSLSync, type RunOptions, type RunResult, type InputFile } from "./run.js";
export { OpenSSL, compileEngine, webSha256 } from "./engine.js";
export { hex, unhex } from "./hex.js";
export * from "./commands/index.js";
