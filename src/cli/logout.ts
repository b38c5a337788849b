/**
 * `lmi logout [--env NAME | --all]`: delete cached service tokens.
 *
 * @module
 */
import { tokenDir } from "../config/paths.ts";
import { selectEnvName } from "../config/resolve.ts";
import { q, UsageError } from "../errors.ts";
import { cachedEnvNames, removeEnvCache } from "../tokens/cache.ts";
import { configFor } from "./common.ts";
import type { CommandArgs, CommandContext, Flags, LOGOUT_OPTIONS } from "./spec.ts";

/** Delete everything cached for one env (every configuration's token, its JWKS, temp files). */
export const removeEnvToken = removeEnvCache;

export interface LogoutOptions {
  /** Every env's cached tokens, not only the selected env's. */
  all: boolean;
}

/** Flags → options (no I/O). */
export function parseOptions(
  flags: Flags<typeof LOGOUT_OPTIONS>,
  { globals }: Pick<CommandArgs, "globals">,
): LogoutOptions {
  if (flags.all && globals.env !== undefined) {
    throw new UsageError("BAD_ARGUMENTS", "--all and --env cannot be used together", {
      hint: "lmi logout --env NAME, or lmi logout --all",
    });
  }
  return { all: flags.all };
}

export async function run({ all }: LogoutOptions, ctx: CommandContext): Promise<number> {
  const dir = tokenDir(ctx.deps);
  if (all) {
    const names = dir ? await cachedEnvNames(dir) : [];
    for (const name of names) await removeEnvToken(dir!, name);
    ctx.log.say(
      names.length
        ? `Removed cached tokens of ${names.map((n) => q(n)).join(", ")}`
        : "No cached tokens",
    );
    return 0;
  }
  const config = await configFor(ctx);
  const { name } = selectEnvName(ctx.deps, config, ctx.globals.env);
  const removed = dir ? await removeEnvToken(dir, name) : false;
  ctx.log.say(
    removed ? `Removed the cached token of env ${q(name)}` : `No cached token for env ${q(name)}`,
  );
  return 0;
}
