/**
 * The CLI edge: parse, run the command, and turn any error into `lmi: error: …` / `hint: …` and
 * an exit code (report.ts; the warm path in warm.ts uses it too).
 *
 * @module
 */
import type { OfferLogin } from "../sso/sign_in.ts";
import type { Deps } from "../context.ts";
import { ExitCode } from "../errors.ts";
import { Redactor } from "../ui/redact.ts";
import { makeLogger, reportError } from "./report.ts";
import { parseInvocation } from "./args.ts";
import { lazyImport } from "./lazy.ts";
import { type GlobalFlags } from "./spec.ts";
import { buildInfo, type BuildStamp, formatBuildInfo } from "../version.ts";

/**
 * Run lmi with `args`; returns the exit code. Never throws. `build` is the commit a compiled
 * binary was built from (scripts/compile.ts passes it).
 */
export async function main(args: string[], deps: Deps, build?: BuildStamp): Promise<number> {
  const redactor = new Redactor();
  let log = makeLogger(deps, redactor, guessGlobals(args));
  try {
    const inv = parseInvocation(args);
    log = makeLogger(deps, redactor, inv.globals);
    switch (inv.kind) {
      case "version": {
        const info = buildInfo(build);
        await deps.stdout.write(
          inv.globals.json ? JSON.stringify(info) + "\n" : formatBuildInfo(info),
        );
        return ExitCode.ok;
      }
      case "plugin": {
        const { runPlugin } = await lazyImport<typeof import("./plugin.ts")>(
          "./plugin.ts",
          import.meta.url,
        );
        return await runPlugin({ deps, log, globals: inv.globals, offerLogin }, inv.name, inv.args);
      }
      case "help": {
        const { commandHelp, groupHelp, mainHelp } = await lazyImport<typeof import("./help.ts")>(
          "./help.ts",
          import.meta.url,
        );
        await deps.stdout.write(
          inv.topic === undefined
            ? mainHelp(await pluginSummaries(deps))
            : typeof inv.topic === "string"
            ? groupHelp(inv.topic)
            : commandHelp(inv.topic),
        );
        return ExitCode.ok;
      }
      case "command": {
        const { globals, positionals } = inv;
        const command = await inv.spec.load();
        const options = command.parseOptions(inv.flags, { positionals, globals });
        return await command.run(options, { deps, log, globals, offerLogin });
      }
    }
  } catch (err) {
    return reportError(err, log);
  } finally {
    await log.flush();
  }
}

/** The CLI asks in a terminal whether to sign in again (loaded only when it comes to that). */
const offerLogin: OfferLogin = async (sso, ctx) =>
  (await lazyImport<typeof import("./offer_login.ts")>("./offer_login.ts", import.meta.url))
    .offerLoginInTerminal(sso, ctx);

async function pluginSummaries(deps: Deps): Promise<Array<[string, string]>> {
  const { listPlugins } = await lazyImport<typeof import("./child.ts")>(
    "./child.ts",
    import.meta.url,
  );
  return [...listPlugins(deps)].map(([name, path]) => [name, `runs ${path}`]);
}

/** Verbosity and color from raw args, for errors raised while parsing them. */
function guessGlobals(args: string[]): GlobalFlags {
  const v = args.filter((a) => /^-v+$/.test(a)).reduce((n, a) => n + a.length - 1, 0);
  return { verbose: v, json: false, noColor: args.includes("--no-color") };
}
