import { errorLine } from "../bundle/errors.js";
import { printable, say, warn } from "./io.js";

/**
 * What the batch verbs (`encrypt`, `decrypt`, `rotate`) say about each input, the same way: every
 * input is processed whatever happened to the others, and each gets its line as it finishes.
 * Plain: the output's path on stdout, warnings and the failure (`opensslwrap: PATH: reason`) on
 * stderr. `--json`: one JSON object per input and line on stdout (JSON Lines), failures included:
 * `{"path","ok":true,"output","warnings"}` or `{"path","ok":false,"error":{"class","message"},"warnings"}`;
 * a failure still gets its line on stderr, warnings are in the JSON only.
 */

/** The error of one input: its class (`IntegrityError`, ...; `Error` for a system error) and its one line. */
export interface InputError {
  class: string;
  message: string;
}

export interface InputResult {
  path: string;
  output?: string;
  error?: InputError;
  warnings: readonly string[];
  /** Verb-specific facts for --json (e.g. a rotation's recipients). */
  extra?: Record<string, unknown>;
}

export function inputError(e: unknown): InputError {
  return { class: e instanceof Error ? e.name : "Error", message: errorLine(e) };
}

export class Report {
  private failures = 0;

  /**
   * `several`: more than one input (failure lines then name it). `print` wraps each print (the
   * progress bars clear their lines around it).
   */
  constructor(
    private readonly asJson: boolean,
    private readonly several: boolean,
    private readonly print: (body: () => void) => void = (body) => body(),
  ) {}

  add(r: InputResult): void {
    if (r.error !== undefined) this.failures++;
    this.print(() => {
      if (this.asJson) {
        const body = r.error === undefined ? { ok: true, output: r.output, ...r.extra } : { ok: false, error: r.error };
        say(printable(JSON.stringify({ path: r.path, ...body, warnings: r.warnings })));
      } else {
        for (const w of r.warnings) warn(w);
        if (r.output !== undefined && r.error === undefined) say(printable(r.output));
      }
      // A failure is also its one line on stderr, JSON or not: what a person reads.
      if (r.error !== undefined) process.stderr.write(`opensslwrap: ${printable(this.several ? `${r.path}: ${r.error.message}` : r.error.message)}\n`);
    });
  }

  /** The exit code: 1 if any input failed. */
  code(): number {
    return this.failures > 0 ? 1 : 0;
  }
}
