/**
 * `lmi logout [--env NAME | --all]`: revoke (RFC 7009, at `revocation_url` or where discovery
 * offers it) and delete cached service tokens; what stays valid at the IdP is said.
 *
 * @module
 */
import { tokenDir } from "../config/paths.ts";
import { selectEnvName } from "../config/resolve.ts";
import { LmiError, q, UsageError } from "../errors.ts";
import type { LoadedConfig } from "../config/load.ts";
import { envForUse } from "../config/env.ts";
import { cachedEnvNames, removeEnvCache } from "../tokens/cache.ts";
import { configFor } from "./common.ts";
import { sayRevocation } from "./revocation_note.ts";
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
    // A broken config must not keep anyone from deleting tokens: then there is no revocation.
    let unusable: string | undefined;
    const config = await configFor(ctx).catch((err) => {
      unusable = err instanceof Error ? err.message : String(err);
      return undefined;
    });
    const names = dir ? await cachedEnvNames(dir) : [];
    if (unusable !== undefined && names.length > 0) {
      ctx.log.warn(
        `not revoking: ${unusable}; the deleted tokens stay valid at the IdP until they expire`,
      );
    }
    for (const name of names) {
      if (config) await revokeIfOffered(ctx, config, name);
      await removeEnvToken(dir!, name);
    }
    ctx.log.say(
      names.length
        ? `Removed cached tokens of ${names.map((n) => q(n)).join(", ")}`
        : "No cached tokens",
    );
    return 0;
  }
  const config = await configFor(ctx);
  const { name } = selectEnvName(ctx.deps, config, ctx.globals.env);
  await revokeIfOffered(ctx, config, name);
  const removed = dir ? await removeEnvToken(dir, name) : false;
  ctx.log.say(
    removed ? `Removed the cached token of env ${q(name)}` : `No cached token for env ${q(name)}`,
  );
  return 0;
}

/**
 * Revoke the env's cached tokens at the IdP (RFC 7009) where it offers revocation. lmi deletes
 * them whatever happens here: a failure is a warning, and an env the config no longer defines
 * (or whose secret is gone) is deleted without revocation.
 */
async function revokeIfOffered(
  ctx: CommandContext,
  config: LoadedConfig,
  name: string,
): Promise<void> {
  let env;
  try {
    env = envForUse(ctx.deps, config, undefined, ctx.log.redactor, name);
  } catch (err) {
    if (!(err instanceof LmiError)) throw err;
    ctx.log.info(`not revoking env ${q(name)}'s tokens: ${err.message}`);
    return;
  }
  try {
    const { revokeServiceTokens } = await import("../tokens/revoke.ts");
    const outcome = await revokeServiceTokens(env, ctx);
    const set = env.definedBy === "environment"
      ? "set LMI_REVOCATION_URL"
      : "set revocation_url in the env's [auth] table";
    sayRevocation(
      ctx.log,
      `env ${q(name)}'s`,
      outcome,
      env.auth.issuer
        ? `its discovery document names no revocation endpoint (${set} if the IdP has one)`
        : `lmi knows no revocation endpoint for it (${set} if the IdP has one)`,
    );
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    ctx.log.warn(
      `could not revoke env ${q(name)}'s tokens at the IdP (${why}); they are deleted here`,
    );
  }
}
