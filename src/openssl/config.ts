import { MemoryDirectory, MemoryFile } from "../wasi/index.js";

/**
 * The engine's OPENSSLDIR is the virtual folder /openssl. It holds a minimal openssl.cnf so that
 * commands which insist on a configuration (`req`, `x509 -req`) work with no host file.
 */
const OPENSSL_CNF = `# opensslwrap: built-in configuration of the wasm OpenSSL
[req]
distinguished_name = req_distinguished_name
[req_distinguished_name]
`;

export const OPENSSLDIR = "/openssl";

export function configDirectory(): MemoryDirectory {
  const dir = new MemoryDirectory();
  dir.set("openssl.cnf", new MemoryFile(new TextEncoder().encode(OPENSSL_CNF)));
  return dir;
}
