/**
 * The lmi program. `lmi auth token` with a fresh cached token is answered by the warm path,
 * src/cli/warm.ts bundled into one module (`deno task bundle`); anything else runs the whole
 * program, loaded only then.
 *
 * @module
 */
// @ts-types="./src/cli/warm.ts"
import { warmProgram } from "./src/cli/warm.bundle.js";

const warm = await warmProgram();
if (warm.code !== undefined) Deno.exit(warm.code);
// A specifier Deno does not read ahead (src/cli/lazy.ts): the warm path needs none of this.
const program = "./src/cli/program.ts";
const { runProgram } = await import(program) as typeof import("./src/cli/program.ts");
// The key of lmi's caches as the warm path read it: its file is read once.
Deno.exit(await runProgram(undefined, warm.cacheKey));
