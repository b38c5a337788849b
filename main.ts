import { realDeps } from "./src/real_deps.ts";
import { main } from "./src/cli/main.ts";
import { programArgs, programNames } from "./src/cli/program_name.ts";

Deno.exit(await main(programArgs(Deno.args, programNames()), realDeps()));
