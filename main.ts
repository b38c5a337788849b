import { realDeps } from "./src/real_deps.ts";
import { main } from "./src/cli/main.ts";

Deno.exit(await main(Deno.args, realDeps()));
