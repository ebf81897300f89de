import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";
import { hostKey, type TestKey } from "../helpers/keys.js";
import { launchBrowser, requireBuild, type Browser } from "./helpers.js";

/**
 * examples/online-study: the jsPsych experiment run by keyboard in Chromium, its data encrypted
 * in the page and POSTed to the example's collection server, then decrypted with the CLI.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osw-online-study-"));
const collected = path.join(tmp, "collected");
let lab: TestKey;
let server: ChildProcess;
let url: string;
let log = "";
let browser: Browser;

beforeAll(async () => {
  requireBuild();
  lab = hostKey(tmp, "lab", 3072);
  server = spawn(process.execPath, [path.join(ROOT, "examples/online-study/serve.mjs"), "--pubkey", lab.pub, "--data", collected, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  server.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  url = await new Promise<string>((resolve, reject) => {
    server.stdout?.on("data", (d: Buffer) => {
      log += d.toString();
      const m = /^online study: (http\S+)$/m.exec(log);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    server.on("exit", (code) => reject(new Error(`the example server exited (${code}): ${log}`)));
  });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  server?.kill();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Trial {
  trial_type: string;
  response: string;
  word: string;
  correct: boolean;
  rt: number;
  participant: string;
}

describe("the online-study example", () => {
  it("runs by keyboard; the server stores only a bundle, which the lab's key opens into the trials", async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    await page.goto(url.replace("P001", "P042"));
    await page.locator(".word", { hasText: "RED" }).waitFor();
    await page.keyboard.press("f");
    await page.locator(".word", { hasText: "TABLE" }).waitFor();
    await page.keyboard.press("f"); // a wrong answer, recorded as such
    await page.locator("#upload-status[data-state=done]").waitFor({ timeout: 30_000 });
    expect(problems).toEqual([]);

    const stored = fs.readdirSync(collected);
    expect(stored).toEqual([expect.stringMatching(/^[\dT-]+Z-[0-9a-f]{12}\.enc$/)]);
    const bundle = path.join(collected, stored[0] ?? "");
    expect(fs.statSync(bundle).mode & 0o777).toBe(0o600);
    expect(log).toContain(`stored ${bundle}`);
    const raw = fs.readFileSync(bundle).toString("latin1");
    for (const secret of ["P042", "TABLE", "html-keyboard-response"]) expect(raw).not.toContain(secret);

    const out = path.join(tmp, "trials.json");
    const r = cli(["decrypt", bundle, "--privkey", lab.priv, "--out", out], tmp);
    expect(r.status, r.stderr).toBe(0);
    const trials = (JSON.parse(fs.readFileSync(out, "utf8")) as Trial[]).filter((t) => t.trial_type === "html-keyboard-response");
    expect(trials.map((t) => [t.participant, t.word, t.response, t.correct])).toEqual([
      ["P042", "RED", "f", true],
      ["P042", "TABLE", "f", false],
    ]);
    for (const t of trials) expect(t.rt).toBeGreaterThan(0);
    const info = JSON.parse(cli(["info", bundle, "--json"], tmp).stdout.toString()) as { meta: { tool: string; file: { name: string } } };
    expect([info.meta.tool, info.meta.file.name]).toEqual(["opensslwrap-upload 0.1.0", "trials.json"]);
  }, 60_000);

  it("the collector refuses what is not a bundle, and stores nothing for it", async () => {
    const before = fs.readdirSync(collected);
    const r = await fetch(new URL("upload", url), { method: "POST", body: "participant,rt\nP042,512\n" });
    expect([r.status, await r.json()]).toEqual([400, { error: "not an opensslwrap bundle" }]);
    expect((await fetch(new URL("../package.json", url))).status).toBe(404);
    expect(fs.readdirSync(collected)).toEqual(before);
  });
});
