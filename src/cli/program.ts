/**
 * The whole lmi program as main.ts runs it when the warm path (warm.ts) declines: the process's
 * arguments, the real world, the CLI edge.
 *
 * @module
 */
import { realDeps } from "../real_deps.ts";
import type { BuildStamp } from "../version.ts";
import type { CacheKey } from "../util/cache_key.ts";
import { main } from "./main.ts";
import { programArgs, programNames } from "./program_name.ts";

/**
 * Run lmi; the exit code. `build`: what a compiled binary is stamped with. `cacheKey`: the key
 * of lmi's caches as the warm path read it (src/cli/warm.ts), so its file is read once.
 */
export function runProgram(build?: BuildStamp, cacheKey?: CacheKey): Promise<number> {
  return main(programArgs(Deno.args, programNames()), realDeps(cacheKey), build);
}
