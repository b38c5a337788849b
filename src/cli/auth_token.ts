/**
 * `lmi auth token` (alias `lmi token`): print a valid access token.
 *
 * @module
 */
import { DURATION_HINT, parseDuration } from "../config/duration.ts";
import { q, UsageError } from "../errors.ts";
import { formatToken, type TokenFormat } from "../ui/token_output.ts";
import { acquireToken } from "../tokens/acquire.ts";
import { envFor } from "./common.ts";
import { type CommandContext, TOKEN_FORMATS } from "./spec.ts";

export interface AuthTokenOptions {
  format: TokenFormat;
  minTtlMs: number;
  force: boolean;
}

/** Flags → options. */
export function parseOptions(ctx: Pick<CommandContext, "flags" | "globals">): AuthTokenOptions {
  const format = (ctx.flags.format as string | undefined) ?? (ctx.globals.json ? "json" : "raw");
  if (!(TOKEN_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError("BAD_FLAG_VALUE", `unknown format ${q(format)}`, {
      hint: `valid formats: ${TOKEN_FORMATS.join(", ")}`,
    });
  }
  const minTtlText = ctx.flags["min-ttl"] as string | undefined;
  const minTtlMs = minTtlText === undefined ? 0 : parseDuration(minTtlText);
  if (minTtlMs === undefined) {
    throw new UsageError("BAD_FLAG_VALUE", `--min-ttl: invalid duration ${q(minTtlText)}`, {
      hint: `write ${DURATION_HINT}`,
    });
  }
  return { format: format as TokenFormat, minTtlMs, force: ctx.flags.force === true };
}

/** The apiVersion kubectl sent in KUBERNETES_EXEC_INFO, if any. */
function execApiVersion(ctx: CommandContext): string | undefined {
  const info = ctx.deps.env("KUBERNETES_EXEC_INFO");
  if (!info) return undefined;
  try {
    const v = (JSON.parse(info) as { apiVersion?: unknown }).apiVersion;
    return typeof v === "string" && v.startsWith("client.authentication.k8s.io/") ? v : undefined;
  } catch {
    return undefined;
  }
}

export async function run(ctx: CommandContext): Promise<number> {
  const options = parseOptions(ctx);
  const { env } = await envFor(ctx);
  const outcome = await acquireToken(env, ctx, {
    minTtlMs: options.minTtlMs,
    force: options.force,
  });
  await ctx.deps.stdout.write(
    formatToken(outcome.token, options.format, env.name, execApiVersion(ctx)),
  );
  return 0;
}
