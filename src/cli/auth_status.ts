/**
 * `lmi auth status [--env NAME] [--json]`: each env's token state; never prints a token.
 * With --env, exit 1 when that env has no valid token.
 *
 * @module
 */
import { listEnvNames, resolveNamedEnv } from "../config/resolve.ts";
import { describeState, inspectServiceToken, type TokenState } from "../tokens/inspect.ts";
import { configFor, envFor, writeJson } from "./common.ts";
import type { CommandContext } from "./spec.ts";

export interface EnvStatus {
  name: string;
  auth_type: string;
  token: TokenState;
}

export async function run(ctx: CommandContext): Promise<number> {
  let statuses: EnvStatus[];
  if (ctx.globals.env !== undefined) {
    const { env } = await envFor(ctx);
    statuses = [{
      name: env.name,
      auth_type: env.auth.type,
      token: await inspectServiceToken(env, ctx),
    }];
  } else {
    const config = await configFor(ctx);
    statuses = [];
    for (const name of listEnvNames(ctx.deps, config)) {
      const env = resolveNamedEnv(ctx.deps, config, name);
      statuses.push({ name, auth_type: env.auth.type, token: await inspectServiceToken(env, ctx) });
    }
  }
  if (ctx.globals.json) await writeJson(ctx, { envs: statuses });
  else if (statuses.length === 0) ctx.log.say("No environments configured (see lmi env list)");
  else {
    const lines = statuses.map((s) =>
      `env ${s.name} (${s.auth_type}): ${describeState(s.token)}\n`
    );
    await ctx.deps.stdout.write(lines.join(""));
  }
  const wanted = ctx.globals.env !== undefined ? statuses[0] : undefined;
  return wanted && wanted.token.state !== "valid" ? 1 : 0;
}
