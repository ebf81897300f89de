import { MemoryDirectory, MemoryFile, runWasi, type DirNode, type FileNode, type InputStream } from "../wasi/index.js";
import { configDirectory, OPENSSLDIR } from "./config.js";
import { OpenSSLError } from "./errors.js";
import { testSource } from "./test-seam.js";

/** A virtual file given to a command: bytes (kept in memory) or a node (e.g. a streamed host file). */
export type InputFile = Uint8Array | FileNode;

export interface RunOptions {
  /** Files by absolute virtual path, e.g. `{ "/keys/pub.pem": bytes }`. Folders are made as needed. */
  files?: Record<string, InputFile>;
  /** Empty folders to make, e.g. for outputs: `["/out"]`. */
  dirs?: readonly string[];
  stdin?: Uint8Array | InputStream;
  /** Environment, as KEY=VALUE strings. */
  env?: readonly string[];
}

export interface RunResult {
  exitCode: number;
  stdout: Uint8Array;
  stderr: string;
  /** Every in-memory file after the run, by absolute path: the inputs and what the command wrote. */
  files: Map<string, Uint8Array>;
}

/** The folder at `parts` below `root`, made if missing. */
function folder(root: MemoryDirectory, parts: string[]): MemoryDirectory {
  let dir = root;
  for (const part of parts) {
    let next = dir.lookup(part);
    if (next === undefined) {
      next = new MemoryDirectory();
      dir.set(part, next);
    }
    if (!(next instanceof MemoryDirectory)) throw new Error(`virtual path component ${part} is not a folder`);
    dir = next;
  }
  return dir;
}

function mount(files: Record<string, InputFile>, dirs: readonly string[]): MemoryDirectory {
  const root = new MemoryDirectory();
  for (const dir of dirs) folder(root, dir.split("/").filter((p) => p !== ""));
  for (const [path, content] of Object.entries(files)) {
    const parts = path.split("/").filter((p) => p !== "");
    const name = parts.pop();
    if (!path.startsWith("/") || name === undefined) throw new Error(`virtual paths are absolute: ${path}`);
    folder(root, parts).set(name, content instanceof Uint8Array ? new MemoryFile(content) : content);
  }
  return root;
}

function collect(dir: DirNode, prefix: string, out: Map<string, Uint8Array>): void {
  for (const name of dir.names()) {
    const node = dir.lookup(name, false);
    if (node instanceof MemoryFile) out.set(prefix + name, node.bytes());
    else if (node instanceof MemoryDirectory) collect(node, `${prefix}${name}/`, out);
  }
}

function inputStream(stdin: Uint8Array | InputStream | undefined): InputStream | undefined {
  if (!(stdin instanceof Uint8Array)) return stdin;
  const file = new MemoryFile(stdin);
  let position = 0;
  return {
    read(dst) {
      const n = file.read(dst, position);
      position += n;
      return n;
    },
  };
}

/**
 * Runs `openssl ARGV...` in a fresh instance of `module` over a virtual filesystem rooted at "/",
 * synchronously (so that a virtual file may itself run a command while OpenSSL reads it).
 * A non-zero exit raises `OpenSSLError` with OpenSSL's stderr.
 */
export function runOpenSSLSync(module: WebAssembly.Module, argv: readonly string[], options: RunOptions = {}): RunResult {
  const root = mount(options.files ?? {}, options.dirs ?? []);
  const stdout = new MemoryFile();
  const stderr = new MemoryFile();
  const exitCode = runWasi(module, {
    args: ["openssl", ...argv],
    env: options.env ?? [],
    preopens: [
      { name: "/", dir: root },
      { name: OPENSSLDIR, dir: configDirectory() },
    ],
    stdin: inputStream(options.stdin),
    stdout: { write: (chunk) => stdout.write(chunk, stdout.size()) },
    stderr: { write: (chunk) => stderr.write(chunk, stderr.size()) },
    // The host's randomness and clock; only the test-only seam replaces them.
    random: testSource()?.engineRandom(),
    clock: testSource()?.clock,
  });
  const stderrText = new TextDecoder().decode(stderr.bytes());
  if (exitCode !== 0) throw new OpenSSLError(argv[0] ?? "", exitCode, stderrText, new TextDecoder().decode(stdout.bytes()));
  const files = new Map<string, Uint8Array>();
  collect(root, "/", files);
  return { exitCode, stdout: stdout.bytes(), stderr: stderrText, files };
}
