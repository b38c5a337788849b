/**
 * Plugins: `lmi NAME ARGS…` runs `lmi-NAME` from PATH with LMI_ENV, LMI_BASE_URL, LMI_TOKEN,
 * LMI_CONFIG and LMI_BIN set. Everything after NAME belongs to the plugin.
 *
 * @module
 */
import { ConfigError, q, UsageError } from "../errors.ts";
import { nearest } from "../config/schema.ts";
import { permissionFlags } from "../permissions.ts";
import { acquireToken } from "../tokens/acquire.ts";
import { tokenTypeLabel } from "../ui/token_output.ts";
import { commandNames } from "./args.ts";
import { configFor } from "./common.ts";
import { findOnPath, listPlugins, runChild } from "./child.ts";
import { envForUse } from "../config/env.ts";
import { type CommandContext, GROUPS } from "./spec.ts";

/** How a plugin can run this lmi again (to refresh a token): a command line. */
export function lmiBin(): string {
  const exec = Deno.execPath();
  const isDeno = /(^|[\\/])deno(\.exe)?$/i.test(exec);
  if (!isDeno) return exec;
  return [exec, "run", "--quiet", ...permissionFlags(), Deno.mainModule].join(" ");
}

export async function runPlugin(
  ctx: CommandContext,
  name: string,
  args: string[],
): Promise<number> {
  const program = findOnPath(ctx.deps, `lmi-${name}`);
  if (!program) {
    const candidates = [
      ...listPlugins(ctx.deps).keys(),
      ...commandNames(),
      ...Object.keys(GROUPS),
      "help",
    ];
    const near = nearest(name, candidates);
    throw new UsageError("UNKNOWN_COMMAND", `unknown command ${q(name)} (no lmi-${name} on PATH)`, {
      hint: near
        ? `did you mean "lmi ${near}"? (run "lmi --help" for all commands)`
        : 'run "lmi --help" for all commands',
    });
  }
  const config = await configFor(ctx);
  const vars: Record<string, string> = { LMI_BIN: lmiBin() };
  if (config.path) vars.LMI_CONFIG = config.path;
  let env;
  try {
    env = envForUse(ctx.deps, config, ctx.globals.env, ctx.log.redactor);
  } catch (err) {
    // A plugin may not need an env at all; without one it gets no token.
    if (!(err instanceof ConfigError) || ctx.globals.env !== undefined) throw err;
    ctx.log.info(`running lmi-${name} without an env: ${err.message}`);
  }
  if (env) {
    vars.LMI_ENV = env.name;
    if (env.baseUrl) vars.LMI_BASE_URL = env.baseUrl;
    if (env.auth.type !== "none") {
      const { token } = await acquireToken(env, ctx, { minTtlMs: 5 * 60_000 });
      vars.LMI_TOKEN = token.accessToken;
      vars.LMI_TOKEN_TYPE = tokenTypeLabel(token.tokenType);
    }
  }
  await ctx.log.flush();
  return await runChild(ctx.deps, program, args, vars);
}
