/**
 * `lmi auth token` (alias `lmi token`): print a valid access token.
 *
 * @module
 */
import { q, UsageError } from "../errors.ts";
import { parseExecInfo } from "../ui/exec_info.ts";
import { formatToken, githubFileCommands, type TokenFormat } from "../ui/token_output.ts";
import { envFor } from "./common.ts";
import { appendGithubFiles, githubFiles } from "./github_files.ts";
import { lazyImport } from "./lazy.ts";
import { durationFlag } from "./duration_flag.ts";
import {
  AUTH_TOKEN_OPTIONS,
  type CommandArgs,
  type CommandContext,
  type Flags,
  TOKEN_FORMATS,
} from "./spec.ts";

export interface AuthTokenOptions {
  format: TokenFormat;
  minTtlMs: number;
  force: boolean;
}

/** Flags → options (no I/O). */
export function parseOptions(
  flags: Flags<typeof AUTH_TOKEN_OPTIONS>,
  { globals }: Pick<CommandArgs, "globals">,
): AuthTokenOptions {
  const text = flags.format ?? (globals.json ? "json" : "raw");
  const format = TOKEN_FORMATS.find((f) => f === text);
  if (format === undefined) {
    throw new UsageError("BAD_FLAG_VALUE", `unknown format ${q(text)}`, {
      hint: `valid formats: ${TOKEN_FORMATS.join(", ")}`,
    });
  }
  return { format, minTtlMs: durationFlag(flags, "min-ttl", 0), force: flags.force };
}

/** The apiVersion kubectl sent in KUBERNETES_EXEC_INFO, if any. */
export function execApiVersion(ctx: Pick<CommandContext, "deps">): string | undefined {
  return parseExecInfo(ctx.deps.env("KUBERNETES_EXEC_INFO")).apiVersion;
}

export async function run(options: AuthTokenOptions, ctx: CommandContext): Promise<number> {
  // Checked before anything happens: a file that cannot be written is exit 3 before the token.
  const github = options.format === "github" ? await githubFiles(ctx.deps) : undefined;
  const { env } = await envFor(ctx);
  // Loaded here: src/cli/warm.ts uses this module's options and output, never the acquisition.
  const { acquireToken } = await lazyImport<typeof import("../tokens/acquire.ts")>(
    "../tokens/acquire.ts",
    import.meta.url,
  );
  const outcome = await acquireToken(env, ctx, {
    minTtlMs: options.minTtlMs,
    force: options.force,
  });
  await ctx.deps.stdout.write(
    formatToken(outcome.token, options.format, env.name, execApiVersion(ctx)),
  );
  if (outcome.token.dpopKey && options.format === "header") {
    ctx.log.info(
      `the token is DPoP-bound: each request also needs a "DPoP: <proof>" header; get one with lmi auth dpop-proof --method METHOD --url URL --env ${env.name}`,
    );
  }
  if (github) {
    const commands = githubFileCommands(outcome.token, `lmi_${crypto.randomUUID()}`);
    await appendGithubFiles(github, commands, ctx.deps.cwd);
    ctx.log.info(`LMI_TOKEN is set for the next steps (masked in their logs)`);
  }
  return 0;
}
