/**
 * `lmi exec [--env NAME] [--min-ttl D] -- CMD [ARGS...]`: run CMD with LMI_TOKEN, LMI_BASE_URL
 * and LMI_ENV set; its exit code is lmi's.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { acquireToken } from "../tokens/acquire.ts";
import { tokenTypeLabel } from "../ui/token_output.ts";
import { envFor } from "./common.ts";
import { runChild } from "./child.ts";
import { durationFlag } from "./duration_flag.ts";
import type { CommandArgs, CommandContext, EXEC_OPTIONS, Flags } from "./spec.ts";

/** Default: the token handed to the child stays valid at least this long. */
export const DEFAULT_EXEC_MIN_TTL_MS = 5 * 60_000;

export interface ExecOptions {
  command: string;
  args: string[];
  minTtlMs: number;
}

/** Flags and the command line → options (no I/O). */
export function parseOptions(
  flags: Flags<typeof EXEC_OPTIONS>,
  { positionals }: Pick<CommandArgs, "positionals">,
): ExecOptions {
  const [command, ...args] = positionals;
  if (!command) {
    throw new UsageError("BAD_ARGUMENTS", "missing the command to run", {
      hint: "lmi exec -- CMD [ARGS...]",
    });
  }
  return { command, args, minTtlMs: durationFlag(flags, "min-ttl", DEFAULT_EXEC_MIN_TTL_MS) };
}

export async function run(options: ExecOptions, ctx: CommandContext): Promise<number> {
  const { env } = await envFor(ctx);
  const vars: Record<string, string> = { LMI_ENV: env.name };
  if (env.baseUrl) vars.LMI_BASE_URL = env.baseUrl;
  if (env.auth.type !== "none") {
    const { token } = await acquireToken(env, ctx, { minTtlMs: options.minTtlMs });
    vars.LMI_TOKEN = token.accessToken;
    vars.LMI_TOKEN_TYPE = tokenTypeLabel(token.tokenType);
  }
  await ctx.log.flush();
  return await runChild(ctx.deps, options.command, options.args, vars);
}
