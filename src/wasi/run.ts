import { DescriptorTable, type InputStream, type OutputStream } from "./descriptors.js";
import { GuestMemory } from "./guest-memory.js";
import { fdImports } from "./imports-fd.js";
import { pathImports } from "./imports-path.js";
import { ProcExit, processImports, systemClock, systemRandom, type Clock, type RandomSource } from "./imports-process.js";
import type { DirNode } from "./nodes.js";
import type { PathMapper } from "./paths.js";

export interface Preopen {
  /** The name the guest sees, e.g. "/" or ".". */
  name: string;
  dir: DirNode;
  /** Maps the paths the guest gives below this folder before they are resolved; absent = as given. */
  mapPath?: PathMapper;
}

export interface RunOptions {
  /** argv, including argv[0]. */
  args: readonly string[];
  /** Environment, as KEY=VALUE strings. */
  env?: readonly string[];
  preopens: readonly Preopen[];
  stdin?: InputStream;
  stdout?: OutputStream;
  stderr?: OutputStream;
  random?: RandomSource;
  clock?: Clock;
}

const noInput: InputStream = { read: () => 0 };
const discard: OutputStream = { write: () => {} };

/**
 * Runs a WASI command module once, in a fresh instance, and returns its exit code. A trap (a
 * crash inside the guest) is thrown. The instance's memory is zeroed before it is dropped.
 */
export function runWasi(module: WebAssembly.Module, options: RunOptions): number {
  const mem = new GuestMemory();
  const fds = new DescriptorTable();
  fds.add({ type: "input", stream: options.stdin ?? noInput });
  fds.add({ type: "output", stream: options.stdout ?? discard });
  fds.add({ type: "output", stream: options.stderr ?? discard });
  for (const p of options.preopens) fds.add({ type: "dir", dir: p.dir, preopenName: p.name, mapPath: p.mapPath });

  const wasi_snapshot_preview1 = {
    ...processImports(mem, options.args, options.env ?? [], options.clock ?? systemClock, options.random ?? systemRandom),
    ...fdImports(mem, fds),
    ...pathImports(mem, fds),
  };
  const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1 });
  mem.attach(instance.exports["memory"] as WebAssembly.Memory);
  try {
    (instance.exports["_start"] as () => void)();
    return 0;
  } catch (e) {
    if (e instanceof ProcExit) return e.code;
    throw e;
  } finally {
    fds.closeAll();
    mem.wipe();
  }
}

/** The import names this host provides, to check a module against before running it. */
export function providedImports(): string[] {
  const mem = new GuestMemory();
  const fds = new DescriptorTable();
  return Object.keys({ ...processImports(mem, [], [], systemClock, systemRandom), ...fdImports(mem, fds), ...pathImports(mem, fds) });
}
