/**
 * `lmi exec [--env NAME] [--min-ttl D] -- CMD [ARGS...]`: run CMD with LMI_TOKEN, LMI_BASE_URL
 * and LMI_ENV set; its exit code is lmi's.
 *
 * @module
 */
import { DURATION_HINT, parseDuration } from "../config/duration.ts";
import { q, UsageError } from "../errors.ts";
import { acquireToken } from "../tokens/acquire.ts";
import { envFor } from "./common.ts";
import { runChild } from "./child.ts";
import type { CommandContext } from "./spec.ts";

/** Default: the token handed to the child stays valid at least this long. */
export const DEFAULT_EXEC_MIN_TTL_MS = 5 * 60_000;

export async function run(ctx: CommandContext): Promise<number> {
  const [cmd, ...args] = ctx.positionals;
  if (!cmd) {
    throw new UsageError("BAD_ARGUMENTS", "missing the command to run", {
      hint: "lmi exec -- CMD [ARGS...]",
    });
  }
  const minTtlText = ctx.flags["min-ttl"] as string | undefined;
  const minTtlMs = minTtlText === undefined ? DEFAULT_EXEC_MIN_TTL_MS : parseDuration(minTtlText);
  if (minTtlMs === undefined) {
    throw new UsageError("BAD_FLAG_VALUE", `--min-ttl: invalid duration ${q(minTtlText)}`, {
      hint: `write ${DURATION_HINT}`,
    });
  }
  const { env } = await envFor(ctx);
  const vars: Record<string, string> = { LMI_ENV: env.name };
  if (env.baseUrl) vars.LMI_BASE_URL = env.baseUrl;
  if (env.auth.type !== "none") {
    vars.LMI_TOKEN = (await acquireToken(env, ctx, { minTtlMs })).token.accessToken;
  }
  await ctx.log.flush();
  return await runChild(ctx.deps, cmd, args, vars);
}
