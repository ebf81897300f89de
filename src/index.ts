import { setEngineLoader } from "./openssl/engine.js";
import { loadNodeEngine } from "./runtime/node-engine.js";

setEngineLoader(loadNodeEngine);

export * from "./openssl/index.js";
