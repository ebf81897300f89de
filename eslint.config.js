import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "build/", "node_modules/", ".cache/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    // The core runs unchanged on Node, Deno and browsers: only adapters in src/runtime and src/cli may use Node.
    files: ["src/wasi/**", "src/openssl/**", "src/bundle/**", "src/api.ts", "src/selftest.ts", "src/browser.ts", "src/runtime/browser-*.ts", "web/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["node:*", "fs", "path", "os", "crypto"], message: "core code is runtime-neutral" }] }],
    },
  },
  {
    files: ["scripts/**/*.mjs", "test/portable/**/*.mjs", "*.config.js"],
    languageOptions: { globals: globals.node },
  },
);
