import { realDeps } from "./src/context.ts";
import { main } from "./src/cli/main.ts";

Deno.exit(await main(Deno.args, realDeps()));
