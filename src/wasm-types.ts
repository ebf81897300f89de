/**
 * The WebAssembly types that appear in this package's declarations. TypeScript declares the
 * `WebAssembly` namespace only in its DOM and WebWorker libs (and @types/node not at all), so a
 * Node project compiled with `lib: ["ES2022"]` could not read our .d.ts files without these.
 * Empty on purpose: they merge with lib.dom's full declarations wherever that lib is present (no
 * member can disagree with a future lib.dom), and elsewhere only name the types. No runtime
 * code: the module is empty once compiled.
 */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- augments the global namespace that lib.dom declares
  namespace WebAssembly {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- see above
    interface Module {}
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- see above
    interface Memory {}
  }
}

export {};
