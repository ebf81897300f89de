/** One section of the page: its button, Cancel, progress bar, one-line errors and the downloads it offers. */
import type { Engine, Running } from "./engine-client.js";
import type { Offer } from "./downloads.js";
import type { Op, ProgressMessage, Request, Result } from "./protocol.js";
import { $ } from "./render.js";

const LABELS: Record<string, string> = {
  encrypting: "Encrypting",
  decrypting: "Decrypting",
  rotating: "Rotating",
  packing: "Checksumming for the zip",
};

export class Section {
  private readonly error: HTMLElement;
  private readonly result: HTMLElement;
  private readonly button: HTMLButtonElement;
  private readonly cancelButton: HTMLButtonElement | null;
  private readonly progressBox: HTMLElement | null;
  private readonly progress: HTMLProgressElement | null;
  private readonly progressText: HTMLElement | null;
  private urls: string[] = [];
  private ids: string[] = [];
  private running: Running | undefined;

  constructor(
    readonly prefix: string,
    private readonly release: (ids: string[]) => void,
  ) {
    this.error = $(`${prefix}-error`);
    this.result = $(`${prefix}-result`);
    this.button = $<HTMLButtonElement>(`${prefix}-go`);
    this.cancelButton = document.getElementById(`${prefix}-cancel`) as HTMLButtonElement | null;
    this.progressBox = document.getElementById(`${prefix}-progress-box`);
    this.progress = document.getElementById(`${prefix}-progress`) as HTMLProgressElement | null;
    this.progressText = document.getElementById(`${prefix}-progress-text`);
    this.cancelButton?.addEventListener("click", () => this.cancel());
  }

  /** Runs `body` with the button disabled (and Cancel offered); shows its failure as one line. */
  async run(body: () => Promise<void>): Promise<void> {
    this.clear();
    this.button.disabled = true;
    this.button.setAttribute("aria-busy", "true");
    try {
      await body();
    } catch (e) {
      this.fail(e instanceof Error && e.name === "AbortError" ? "Cancelled: nothing was kept." : e instanceof Error ? e.message : String(e));
      if (this.progressBox !== null) this.progressBox.hidden = true;
    } finally {
      this.running = undefined;
      this.button.disabled = false;
      this.button.removeAttribute("aria-busy");
      if (this.cancelButton !== null) this.cancelButton.hidden = true;
    }
  }

  /** Sends a request for this section: its progress (over `names`, the files in order) on the bar, Cancel wired to it. */
  request(engine: Engine, op: Op, fields: Omit<Request, "id" | "op">, names: readonly string[] = []): Promise<Result> {
    const running = engine.start(op, fields, (p) => this.onProgress(p, names));
    this.running = running;
    if (this.cancelButton !== null) {
      this.cancelButton.hidden = false;
      this.cancelButton.disabled = false;
      this.cancelButton.textContent = "Cancel";
    }
    return running.result;
  }

  private cancel(): void {
    if (this.running === undefined || this.cancelButton === null) return;
    this.cancelButton.disabled = true;
    this.cancelButton.textContent = "Cancelling…";
    this.running.cancel();
  }

  /** One line, or one line per file that failed. */
  fail(lines: string | readonly string[]): void {
    this.error.textContent = typeof lines === "string" ? lines : lines.join("\n");
  }

  /** Empties the section: error, result, progress, and the downloads it offered (their stored copies released). */
  clear(): void {
    this.error.textContent = "";
    this.result.replaceChildren();
    this.forgetDownloads();
    if (this.progressBox !== null) this.progressBox.hidden = true;
  }

  setProgress(fraction: number, label: string): void {
    if (this.progress === null || this.progressBox === null || this.progressText === null) return;
    this.progressBox.hidden = false;
    const pct = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
    if (pct !== this.progress.value) this.progress.value = pct;
    this.progressText.textContent = `${label} ${pct}%`;
  }

  /** One bar over all files of a request; the zip's checksums are a last pass of their own. */
  private onProgress(p: ProgressMessage, names: readonly string[]): void {
    const within = p.total === 0 ? 1 : p.done / p.total;
    const label = LABELS[p.phase] ?? p.phase;
    if (p.phase === "packing") return this.setProgress(within, `${label} (${names.length} files):`);
    const i = Math.max(0, names.indexOf(p.file));
    const of = names.length > 1 ? ` (file ${i + 1} of ${names.length})` : "";
    this.setProgress((i + within) / Math.max(1, names.length), `${label} ${p.file}${of}:`);
  }

  show(...nodes: Node[]): void {
    this.result.append(...nodes);
  }

  /** Shows an offer of downloads (`ids`: the outputs' stored copies, released with the section) and starts its download. */
  present(o: Offer, ids: readonly string[]): void {
    this.show(...o.nodes);
    this.urls.push(...o.urls);
    this.ids.push(...ids.filter((id) => id !== ""));
    o.start();
  }

  /** Revokes earlier download links and lets the worker delete their stored copies. */
  forgetDownloads(): void {
    for (const url of this.urls) URL.revokeObjectURL(url);
    const ids = this.ids;
    this.urls = [];
    this.ids = [];
    if (ids.length > 0) this.release(ids);
  }
}
