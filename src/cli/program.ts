/**
 * The whole lmi program as main.ts runs it when the warm path (warm.ts) declines: the process's
 * arguments, the real world, the CLI edge.
 *
 * @module
 */
import { realDeps } from "../real_deps.ts";
import type { BuildStamp } from "../version.ts";
import { main } from "./main.ts";
import { programArgs, programNames } from "./program_name.ts";

/** Run lmi; the exit code. `build`: what a compiled binary is stamped with. */
export function runProgram(build?: BuildStamp): Promise<number> {
  return main(programArgs(Deno.args, programNames()), realDeps(), build);
}
