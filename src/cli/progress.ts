/**
 * Progress bars on stderr for `encrypt` and `decrypt`: one bar for a single big file; for several
 * files a total bar (bytes, rate, ETA, files done) and a bar for each big file in flight. Only on a
 * terminal: `--json` and redirected stderr get nothing, not even an escape code.
 *
 * Drawing is cli-progress's MultiBar. Of the terminal progress libraries it is the widely used one
 * (about 25M downloads a month) that draws several bars at once, with types on DefinitelyTyped and
 * a small tree (string-width and four tiny helpers; MIT, no native code, no install scripts).
 * `progress` draws one bar and has had no release since 2018; ora and listr2 are spinners and task
 * lists with bigger trees. cli-progress's last release, 3.12.0, is from 2023: stable rather than
 * busy, and small enough to vendor should it be abandoned.
 */
import { clearScreenDown } from "node:readline";
import cliProgress, { type Options, type Params, type SingleBar } from "cli-progress";

/** Files smaller than this finish before a bar would say anything. */
const MIN_BYTES = 4 << 20;
/** Longest file name in a label; longer ones keep their end. */
const MAX_NAME = 24;
/** Redraws at most this often (cli-progress's own timer, and ours below). */
const REDRAW_MS = 100;

export interface Progress {
  /** `files[i]` has `done` of its `total` bytes behind it; absent when nothing is drawn, so that nobody counts bytes for nothing. */
  update?(i: number, done: number, total: number): void;
  /** `files[i]` is finished (done or failed). */
  finish(i: number): void;
  /** Runs `write` (lines on stdout or stderr) with the bars cleared, then draws them again below. */
  print(write: () => void): void;
  /** Clears the bars for good. */
  stop(): void;
}

interface Payload {
  /** Padded to the same width on every bar, so that the bars line up. */
  label: string;
  /** The value when the bar started: the rate counts only what was done while it showed. */
  from: number;
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0);
/** The widest text after a bar; the bar takes what the terminal has left. */
const INFO_WIDTH = " 100% 9999/9999 MB 999.9 MB/s ETA 59m59s".length;

function line(options: Options, params: Params, payload: Payload): string {
  // A file's bar is stopped once all of it is read: its rate stays that of the reading.
  const seconds = Math.max(((params.stopTime ?? Date.now()) - params.startTime) / 1000, 1e-3);
  const moved = params.value - payload.from;
  const rate = moved / seconds;
  // No ETA from the first bytes alone (a header read in 200 ms would say "1h").
  const eta = rate > 0 && moved * 100 >= params.total - payload.from ? cliProgress.Format.TimeFormat(Math.ceil((params.total - params.value) / rate), options, 1) : "--";
  const size = Math.min(30, Math.max(8, params.maxWidth - payload.label.length - INFO_WIDTH - 3));
  const full = Math.round(params.progress * size);
  const pct = String(Math.floor(params.progress * 100)).padStart(3);
  return `${payload.label} [${"=".repeat(full)}${"-".repeat(size - full)}] ${pct}% ${mb(params.value)}/${mb(params.total)} MB ${(rate / 1e6).toFixed(1)} MB/s ETA ${eta}`;
}

const fit = (name: string) => (name.length <= MAX_NAME ? name : `...${name.slice(3 - MAX_NAME)}`);

const silent: Progress = { finish() {}, print: (write) => write(), stop() {} };

/** Bars for `verb`ing `files` (of `sizes` bytes), or nothing when `enabled` is false or stderr is no terminal. */
export function progress(verb: string, files: readonly string[], sizes: readonly number[], enabled: boolean): Progress {
  if (!enabled || process.stderr.isTTY !== true) return silent;
  const several = files.length > 1;
  const big = (i: number) => (sizes[i] ?? 0) >= MIN_BYTES;
  const fileLabel = (i: number) => (several ? `  ${fit(files[i] ?? "")}` : `${verb} ${fit(files[i] ?? "")}`);
  const count = (n: number) => `${verb} ${String(n).padStart(String(files.length).length)}/${files.length} files`;
  const width = Math.max(several ? count(0).length : 0, ...files.map((_, i) => (big(i) ? fileLabel(i).length : 0)));

  // linewrap: true keeps the terminal's own wrapping on (cli-progress would switch it off, and a
  // Ctrl-C would leave it off); lines are cut to the width instead. forceRedraw: print() clears
  // the screen under the bars, so even an unchanged bar must be drawn again.
  const bars = new cliProgress.MultiBar({ format: line, fps: 1000 / REDRAW_MS, linewrap: true, forceRedraw: true, clearOnComplete: true, stream: process.stderr });
  const pending: (() => void)[] = [];
  // The cursor is at the first bar's line here, before they are drawn again.
  bars.on("redraw-pre", () => {
    if (pending.length === 0) return;
    clearScreenDown(process.stderr);
    for (const write of pending.splice(0)) write();
  });
  // cli-progress redraws on a timer, which cannot fire while the engine runs on this thread (one
  // file, or decrypt): progress reports redraw too when the timer is late.
  let drawn = 0;
  bars.on("redraw-post", () => {
    drawn = performance.now();
  });
  const redrawIfLate = () => {
    if (bars.isActive && performance.now() - drawn >= REDRAW_MS) bars.update();
  };

  const total = sizes.reduce((a, b) => a + b, 0);
  const totalBar = several ? bars.create(total, 0, { label: count(0).padEnd(width), from: 0 } satisfies Payload) : undefined;
  let finishedBytes = 0;
  let finishedFiles = 0;
  const inFlight = new Map<number, { done: number; bar?: SingleBar }>();
  const drawTotal = () => {
    let done = finishedBytes;
    for (const [i, f] of inFlight) done += Math.min(f.done, sizes[i] ?? 0);
    totalBar?.update(done, { label: count(finishedFiles).padEnd(width) });
  };

  return {
    update(i, done, fileTotal) {
      let f = inFlight.get(i);
      if (f === undefined) {
        f = { done, bar: big(i) ? bars.create(fileTotal, done, { label: fileLabel(i).padEnd(width), from: done } satisfies Payload) : undefined };
        inFlight.set(i, f);
      }
      f.done = done;
      f.bar?.update(done);
      if (done >= fileTotal) f.bar?.stop();
      drawTotal();
      redrawIfLate();
    },
    finish(i) {
      const f = inFlight.get(i);
      inFlight.delete(i);
      if (f?.bar !== undefined) bars.remove(f.bar);
      finishedBytes += sizes[i] ?? 0;
      finishedFiles++;
      drawTotal();
    },
    print(write) {
      if (!bars.isActive) return write();
      pending.push(write);
      bars.update();
    },
    stop() {
      if (bars.isActive) bars.stop();
    },
  };
}
