/**
 * `lmi auth status [--env NAME] [--json]`: the SSO session (user, expiry, store) and each env's
 * token state; never prints a token. With --env: exit 1 when that env has no valid token
 * (sso-type envs: no valid SSO session). Without: exit 1 when [sso] is configured and there is
 * no valid SSO session.
 *
 * @module
 */
import { listEnvNames, resolveNamedEnv } from "../config/resolve.ts";
import { ssoConfig } from "../config/sso.ts";
import { formatDuration } from "../config/duration.ts";
import { describeState, inspectServiceToken, type TokenState } from "../tokens/inspect.ts";
import type { SsoStatus } from "../sso/sso.ts";
import { configFor, envFor, writeJson } from "./common.ts";
import type { CommandContext, NoOptions } from "./spec.ts";

export { noOptions as parseOptions } from "./spec.ts";

export interface EnvStatus {
  name: string;
  auth_type: string;
  token: TokenState;
}

function describeSso(s: SsoStatus): string {
  if (!s.signed_in) return `SSO ${s.issuer}: not signed in (run lmi login sso)`;
  const who = s.user?.email ?? s.user?.name ?? s.user?.sub ?? "?";
  const left = s.expires_in_s ?? 0;
  const expiry = left > 0
    ? `access token expires in ${formatDuration(left * 1000)} (${s.expires_at})`
    : "access token expired, renewed on next use";
  return `SSO ${s.issuer}: signed in as ${who}, ${expiry}; stored in the ${s.store}`;
}

export async function run(_options: NoOptions, ctx: CommandContext): Promise<number> {
  const config = await configFor(ctx);
  const sso = ssoConfig(ctx.deps, config);
  let ssoState: SsoStatus | undefined;
  if (sso) {
    const { ssoStatus } = await import("../sso/sso.ts");
    ssoState = await ssoStatus(sso, ctx);
  }
  const stateOf = async (env: ReturnType<typeof resolveNamedEnv>): Promise<TokenState> => {
    if (env.auth.type !== "sso") return await inspectServiceToken(env, ctx);
    if (!ssoState) return { state: "none", reason: "no [sso] table" };
    return ssoState.signed_in
      ? {
        state: "valid",
        ...(ssoState.expires_at ? { expires_at: ssoState.expires_at } : {}),
        reason: "SSO session",
      }
      : { state: "none", reason: "not signed in" };
  };
  let statuses: EnvStatus[];
  if (ctx.globals.env !== undefined) {
    const { env } = await envFor(ctx);
    statuses = [{ name: env.name, auth_type: env.auth.type, token: await stateOf(env) }];
  } else {
    statuses = [];
    for (const name of listEnvNames(ctx.deps, config)) {
      const env = resolveNamedEnv(ctx.deps, config, name);
      statuses.push({ name, auth_type: env.auth.type, token: await stateOf(env) });
    }
  }
  if (ctx.globals.json) await writeJson(ctx, { sso: ssoState ?? null, envs: statuses });
  else {
    const lines = ssoState ? [describeSso(ssoState)] : [];
    for (const s of statuses) {
      const state = s.auth_type === "sso" && s.token.state === "valid"
        ? "uses the SSO session"
        : describeState(s.token);
      lines.push(`env ${s.name} (${s.auth_type}): ${state}`);
    }
    if (lines.length === 0) ctx.log.say("No environments configured (see lmi env list)");
    else await ctx.deps.stdout.write(lines.map((l) => `${l}\n`).join(""));
  }
  if (ctx.globals.env !== undefined) return statuses[0]!.token.state === "valid" ? 0 : 1;
  return ssoState && !ssoState.signed_in ? 1 : 0;
}
