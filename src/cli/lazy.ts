/**
 * {@link lazyImport} for the CLI: loading a module only when it is needed, without Deno reading
 * it at start-up (src/util/lazy.ts, where the layers below the CLI find it too).
 *
 * @module
 */
export { lazyImport } from "../util/lazy.ts";
