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
    // The core runs unchanged on Node, Deno and browsers: only the Node adapters (src/runtime/node),
    // the verbs on paths (src/verbs/node.ts), the Node entry points and src/cli may use Node.
    files: ["src/wasi/**", "src/openssl/**", "src/bundle/**", "src/api/**", "src/browser.ts", "src/browser-openssl.ts", "src/runtime/browser/**", "src/verbs/browser.ts", "src/upload/**", "web/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["node:*", "fs", "path", "os", "crypto"], message: "core code is runtime-neutral" }] }],
    },
  },
  {
    files: ["scripts/**/*.mjs", "examples/**/*.mjs", "test/portable/**/*.mjs", "*.config.js"],
    languageOptions: { globals: globals.node },
  },
  {
    // An example study page: jsPsych and its plugin are loaded by <script> tags as globals.
    files: ["examples/**/*.js"],
    languageOptions: { globals: { ...globals.browser, initJsPsych: "readonly", jsPsychHtmlKeyboardResponse: "readonly" } },
  },
);
