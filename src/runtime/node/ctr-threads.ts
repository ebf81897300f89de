import { availableParallelism } from "node:os";
import type { CtrPass, CtrThreads } from "../../bundle/bulk/cores.js";
import { SegmentSchedule } from "../../bundle/bulk/segments.js";
import type { FileStorage } from "../../wasi/index.js";
import { ByteRing, ring, RingAborted, sleepOn } from "./byte-ring.js";
import { Lane } from "./ctr-lane.js";
import { startMacThread, type RingMacThread } from "./mac-thread.js";

/**
 * The wasm engine on every core, on Node's worker threads (docs/DESIGN.md, "The wasm engine on
 * every core"). One engine thread per core (ctr-lane.ts) runs the segments of a pass, one at a
 * time each, in payload order; one more runs the HMAC (mac-thread.ts). This thread does all the
 * file access, without waiting on any one ring: it reads each segment into its thread's input
 * ring, writes what comes back to its place in the output, and feeds the MAC thread the
 * ciphertext in order (sealing: the output read back behind the threads, up to where it is
 * complete; opening: the input). When nothing can move it sleeps on the doorbell that every
 * ring rings, so the event loop stays free (a thread's failure, the disk's write-backs).
 */

/** A wait on the doorbell is re-checked this often; this many in a row without a move, and the pass gives up. */
const WAIT_MS = 1000;
const MAX_IDLE_WAITS = 120;

/** Feeds `mac` the bytes of `from` at `at` up to `limit`, as far as its ring has room now; the new position. */
function feedMac(mac: RingMacThread, from: Pick<FileStorage, "read">, at: number, limit: number): number {
  while (at < limit) {
    const room = mac.reserve(limit - at, false);
    if (room.length === 0) break;
    const n = from.read(room, at);
    if (n === 0) throw new Error("the ciphertext ended before its declared size");
    mac.commit(n);
    at += n;
  }
  return at;
}

async function runPass(module: WebAssembly.Module, pass: CtrPass, count: number): Promise<Uint8Array | undefined> {
  const size = pass.segments.reduce((n, s) => n + s.length, 0);
  const schedule = new SegmentSchedule(pass.segments);
  const doorbell = ByteRing.doorbell();
  const bell = new Int32Array(doorbell);
  /** The first failure a thread reported (an event, while this thread sleeps on the doorbell: it wakes it). */
  let failed: Error | undefined;
  const fail = (e: Error) => {
    failed ??= e;
    ring(bell);
  };
  const lanes = Array.from({ length: Math.max(1, Math.min(count, pass.segments.length)) }, () => new Lane(module, pass.keys, doorbell, fail));
  const mac = pass.mac === undefined ? undefined : startMacThread({ engine: "wasm", key: pass.keys.mac, module }, pass.mac.authenticated.length + size, doorbell);
  const src = pass.input.open({ read: true, write: false });
  const dst = pass.output.open({ read: true, write: true });
  let done = false;
  try {
    dst.truncate(0);
    mac?.write(pass.mac?.authenticated ?? new Uint8Array(0));
    const macFrom = pass.mac?.over === "input" ? src : dst;
    let macAt = 0;
    for (let idle = 0; ; ) {
      const seen = Atomics.load(bell, 0);
      if (failed !== undefined) throw failed;
      let moved = false;
      for (const lane of lanes) moved = lane.step(pass, schedule, src, dst) || moved;
      if (mac !== undefined) {
        const at = feedMac(mac, macFrom, macAt, pass.mac?.over === "input" ? size : schedule.frontier());
        moved ||= at !== macAt;
        macAt = at;
      }
      if (schedule.complete() && (mac === undefined || macAt === size)) break;
      if (moved) idle = 0;
      else if (!(await sleepOn(bell, seen, WAIT_MS)) && ++idle >= MAX_IDLE_WAITS) throw new Error("the engine threads stopped moving");
    }
    done = true;
    return await mac?.finish();
  } catch (e) {
    mac?.abort();
    for (const lane of lanes) lane.abort();
    // A thread that failed aborted its rings: its own message (on its way) says why.
    if (failed === undefined && (e instanceof RingAborted || (e instanceof Error && e.cause instanceof RingAborted))) await sleepOn(bell, Atomics.load(bell, 0), WAIT_MS);
    throw failed ?? e;
  } finally {
    src.close();
    dst.close();
    await Promise.all(lanes.map((lane) => lane.stop(done)));
  }
}

/** Node's threads for the wasm engine: as many engine threads as the process may use cores. */
export function nodeCtrThreads(count = availableParallelism()): CtrThreads {
  return { count, run: (module, pass) => runPass(module, pass, count) };
}
