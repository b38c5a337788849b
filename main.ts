/**
 * The lmi program. `lmi auth token` with a fresh cached token is answered by the warm path,
 * src/cli/warm.ts bundled into one module (`deno task bundle`); anything else runs the whole
 * program, loaded only then.
 *
 * @module
 */
// @ts-types="./src/cli/warm.ts"
import { warmProgram } from "./src/cli/warm.bundle.js";

const served = await warmProgram();
if (served !== undefined) Deno.exit(served);
// A specifier Deno does not read ahead (src/cli/lazy.ts): the warm path needs none of this.
const program = "./src/cli/program.ts";
const { runProgram } = await import(program) as typeof import("./src/cli/program.ts");
Deno.exit(await runProgram());
