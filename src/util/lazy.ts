/**
 * Loading a module of the program only when it is needed, without Deno reading it at start-up.
 *
 * Deno reads every module a program could load before running it: static imports and dynamic
 * `import("./x.ts")` with a literal specifier alike. For lmi that was the whole program (about 90
 * modules) on every run, though a command needs a few of them: a third of the warm
 * `lmi auth token` time. A specifier computed at run time is not read ahead, so the command
 * table and the commands load their modules through {@link lazyImport}.
 *
 * The type comes from a type-only `typeof import("./x.ts")`, which costs nothing at run time
 * and lets `deno check` and tests/unit/layers_test.ts see the dependency. `deno compile` does
 * not include such modules by itself: scripts/compile.ts lists every `lazyImport` target in the
 * generated entry point (tests/unit/lazy_imports_test.ts keeps the two specifiers of each call
 * equal).
 *
 * @module
 */

/** Import `path`, resolved against `base` (the caller's `import.meta.url`). */
export function lazyImport<T>(path: string, base: string): Promise<T> {
  return import(new URL(path, base).href);
}
