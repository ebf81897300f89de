import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The README's TypeScript examples for Node type-check against the package as users import it
 * ("opensslwrap" and "opensslwrap/openssl" resolve through package.json's exports to the build).
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function examples(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  // Node's examples: those importing the package by name, not Deno's (which use Deno's API).
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? "").filter((code) => /from "opensslwrap(\/[a-z]+)?"/.test(code) && !code.includes("Deno."));
}

describe("README", () => {
  it("starts its examples with the verbs and key helpers users need", () => {
    expect(examples()[0]).toMatch(/import \{ decrypt, encrypt, fingerprint, generateKeys, readPublicKey \} from "opensslwrap";/);
  });

  it("has TypeScript examples that type-check against the package", () => {
    const dir = fs.mkdtempSync(path.join(ROOT, "test", ".readme-"));
    try {
      examples().forEach((code, i) => fs.writeFileSync(path.join(dir, `example-${i}.ts`), `${code}\nexport {};\n`));
      fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ extends: "../../tsconfig.json", include: ["*.ts"] }));
      const r = (() => {
        try {
          return execFileSync("npx", ["tsc", "-p", dir, "--noEmit"], { cwd: ROOT, encoding: "utf8" });
        } catch (e) {
          return String((e as { stdout?: string }).stdout);
        }
      })();
      expect(r).toBe("");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
