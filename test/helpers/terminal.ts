import { spawn, spawnSync } from "node:child_process";
import { CLI } from "./cli.js";

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * Runs `opensslwrap ARGS...` in `cwd` on a pseudo-terminal of 100 columns (util-linux `script`)
 * and returns what it wrote there, stdout and stderr together, as the terminal received it (with
 * \r\n line ends). With `stderrFile`, stderr goes to that file instead: no terminal.
 */
export function onTerminal(args: readonly string[], cwd: string, stderrFile?: string): { status: number | null; output: string } {
  const redirect = stderrFile === undefined ? "" : ` 2>${quote(stderrFile)}`;
  const command = `stty cols 100 rows 40; exec ${[process.execPath, CLI, ...args].map(quote).join(" ")}${redirect}`;
  const r = spawnSync("script", ["-qfec", command, "/dev/null"], { cwd, encoding: "utf8", timeout: 30_000 });
  if (r.error !== undefined) throw r.error;
  return { status: r.status, output: r.stdout };
}

/**
 * Runs `opensslwrap ARGS...` on a pseudo-terminal as `onTerminal` does, typing each reply (and
 * Enter) once its prompt has appeared: `replies[i]` answers the i-th prompt that ends in ": ".
 * Returns the exit code and everything the terminal received.
 */
export function typedOnTerminal(args: readonly string[], cwd: string, replies: readonly string[]): Promise<{ status: number | null; output: string }> {
  const command = `stty cols 100 rows 40; exec ${[process.execPath, CLI, ...args].map(quote).join(" ")}`;
  const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd, stdio: ["pipe", "pipe", "inherit"] });
  let output = "";
  let answered = 0;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
    // A prompt is written without a newline and then waits: answer each one once.
    const prompts = output.split(/: (?=$|\r?\n)/).length - 1;
    while (answered < Math.min(prompts, replies.length)) child.stdin.write(`${replies[answered++]}\r`);
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ status, output });
    });
  });
}

/**
 * The lines a terminal shows once it has received `output`. Knows what node:readline and
 * cli-progress send (CR, LF, cursor up/down/left/right and to a column, erase in line and below);
 * any other escape sequence throws, so that a new one is noticed rather than misread.
 */
export function screen(output: string): string[] {
  const lines = [""];
  let row = 0;
  let col = 0;
  const at = () => lines[row] ?? "";
  // eslint-disable-next-line no-control-regex
  for (const token of output.split(/(\x1b\[[0-9;?]*[A-Za-z]|\r|\n)/)) {
    if (token === "") continue;
    if (token === "\r") col = 0;
    else if (token === "\n") {
      row++;
      while (lines.length <= row) lines.push("");
    } else if (token.startsWith("\x1b[")) {
      const n = Number(token.slice(2, -1) || "0");
      const move = Math.max(n, 1);
      switch (token.at(-1)) {
        case "A":
          row = Math.max(0, row - move);
          break;
        case "B":
          row += move;
          while (lines.length <= row) lines.push("");
          break;
        case "C":
          col += move;
          break;
        case "D":
          col = Math.max(0, col - move);
          break;
        case "G":
          col = move - 1;
          break;
        case "K":
          if (n === 0) lines[row] = at().slice(0, col);
          else if (n === 1) lines[row] = " ".repeat(col) + at().slice(col);
          else lines[row] = "";
          break;
        case "J":
          if (n !== 0) throw new Error(`unexpected escape ${JSON.stringify(token)}`);
          lines[row] = at().slice(0, col);
          lines.length = row + 1;
          break;
        default:
          throw new Error(`unexpected escape ${JSON.stringify(token)}`);
      }
    } else {
      const line = at().padEnd(col);
      lines[row] = line.slice(0, col) + token + line.slice(col + token.length);
      col += token.length;
    }
  }
  while (lines.length > 0 && (lines.at(-1) ?? "").trim() === "") lines.pop();
  return lines.map((l) => l.trimEnd());
}
