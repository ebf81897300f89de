import assert from "node:assert/strict";
import { makeKeys, ow, removeDir, runNode, sha256File, tempDir, writePatternFile } from "./helpers.ts";

/**
 * A 1 GB file through encrypt and decrypt under Deno: the round trip is checked by sha256, and
 * the RSS of the Deno process stays far below the file size: the file is streamed in chunks,
 * never held whole.
 *
 * Why 1 GB and not less: under Deno the process plateaus at 270-380 MB however large the file
 * (measured for 100 MB, 400 MB and 1 GB files): about 90 MB is Deno and the compiled engine
 * (over 150 MB inside `deno test`), the rest is chunk buffers of the bulk cipher and of the
 * read-back check, which Deno's collector frees late. A 200 MB file would sit below that plateau
 * and prove nothing.
 *
 * The peak is the larger of Deno.memoryUsage().rss, sampled at every progress callback (each
 * chunk), and on Linux the kernel's high-water mark VmHWM, which also sees the spikes between
 * samples (the read-back verification reports no progress). `npm run test:deno` type-checks
 * first, in a separate process, so the compiler's memory is not part of this process's mark.
 */

const MB = 1_000_000;
const SIZE = 1_000 * MB + 12_345;

/**
 * The kernel's peak RSS of this process (Linux), if there is a /proc. Deno lets only --allow-all
 * read /proc/self, so the `node` child (already allowed for the interop suite) reads it for us.
 */
async function highWaterMark(): Promise<number | undefined> {
  const r = await runNode(`import { readFileSync } from "node:fs"; try { process.stdout.write(readFileSync("/proc/${Deno.pid}/status", "utf8")); } catch {}`, []);
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(r.stdout)?.[1];
  return kb === undefined ? undefined : Number(kb) * 1024;
}

const mb = (n: number) => `${(n / MB).toFixed(0)} MB`;

Deno.test("a 1 GB file streams through encrypt and decrypt in bounded memory", async () => {
  const dir = await tempDir("stream");
  try {
    const keys = await makeKeys(dir, "lab");
    const file = `${dir}/recording.bin`;
    await writePatternFile(file, SIZE);
    const want = await sha256File(file);
    const before = Deno.memoryUsage().rss;
    let sampled = before;
    let samples = 0;
    const onProgress = (done: number, total: number) => {
      samples++;
      sampled = Math.max(sampled, Deno.memoryUsage().rss);
      assert.ok(done <= total && total === SIZE, `progress ${done}/${total}`);
    };

    const t0 = performance.now();
    const enc = await ow.encrypt(file, { publicKeys: [keys.pubPem], onProgress });
    const t1 = performance.now();
    assert.equal(enc.meta.file?.size, SIZE);
    assert.ok((await Deno.stat(enc.bundle)).size > SIZE);
    const dec = await ow.decrypt(enc.bundle, { privateKey: { key: keys.privPem }, onProgress });
    const t2 = performance.now();
    sampled = Math.max(sampled, Deno.memoryUsage().rss);
    assert.equal(dec.output, file);
    assert.equal(await sha256File(file), want);
    assert.ok(samples > 100, `progress was reported ${samples} times`);

    const hwm = await highWaterMark();
    const peak = Math.max(sampled, hwm ?? 0);
    console.log(
      `${mb(SIZE)}: encrypt ${((t1 - t0) / 1000).toFixed(1)} s, decrypt ${((t2 - t1) / 1000).toFixed(1)} s; RSS before ${mb(before)}, ` +
        `sampled peak ${mb(sampled)} (${samples} samples), VmHWM ${hwm === undefined ? "n/a" : mb(hwm)}`,
    );
    // Growth over the process's own baseline (over 200 MB inside `deno test`), not the absolute peak.
    assert.ok(peak - before < SIZE / 3, `RSS grew by ${mb(peak - before)}: not well below the file size ${mb(SIZE)}`);
  } finally {
    await removeDir(dir);
  }
});
