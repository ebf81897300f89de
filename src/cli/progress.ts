/**
 * One progress line on stderr, redrawn in place, only on a terminal and only for files big
 * enough to wait for; `--json` and redirected output stay clean.
 */
const MIN_BYTES = 4 << 20;

export function progressLine(label: string, total: number, enabled: boolean): { update(done: number): void; end(): void } | undefined {
  if (!enabled || process.stderr.isTTY !== true || total < MIN_BYTES) return undefined;
  const start = performance.now();
  let last = 0;
  const draw = (done: number) => {
    const seconds = (performance.now() - start) / 1000;
    const rate = done / Math.max(seconds, 1e-3);
    const eta = rate > 0 ? Math.ceil((total - done) / rate) : 0;
    const pct = Math.floor((100 * done) / total);
    process.stderr.write(`\r${label}  ${String(pct).padStart(3)}%  ${(done / 1e6).toFixed(0)}/${(total / 1e6).toFixed(0)} MB  ${(rate / 1e6).toFixed(1)} MB/s  ETA ${eta}s \x1b[K`);
  };
  return {
    update(done) {
      const now = performance.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done);
    },
    end() {
      process.stderr.write("\r\x1b[K");
    },
  };
}
