/**
 * `lmi auth status [--env NAME] [--json]`: the SSO session (user, expiry, store, and when and how
 * the person signed in) and each env's token state; never prints a token. With --env: exit 1 when
 * that env has no valid token (sso-type envs: no valid SSO session). Without: exit 1 when [sso] is
 * configured and there is no valid SSO session.
 *
 * @module
 */
import type { LoadedConfig } from "../config/load.ts";
import { noConfigFound } from "../config/no_config.ts";
import { listEnvNames, resolveNamedEnv } from "../config/resolve.ts";
import { ConfigError } from "../errors.ts";
import { ssoConfig } from "../config/sso.ts";
import { formatDuration } from "../config/duration.ts";
import { printable } from "../ui/text.ts";
import { describeState, inspectServiceToken, type TokenState } from "../tokens/inspect.ts";
import type { SsoStatus } from "../sso/sso.ts";
import type { SecretStore } from "../sso/store.ts";
import { configFor, envFor, writeJson } from "./common.ts";
import type { CommandContext, NoOptions } from "./spec.ts";

export { noOptions as parseOptions } from "./spec.ts";

export interface EnvStatus {
  name: string;
  auth_type: string;
  token: TokenState;
}

/**
 * The SSO session's line, when and how the person signed in (when the ID token said), and the line
 * naming its store (and why a file, when it is one).
 */
function describeSso(s: SsoStatus, store: SecretStore, now: number): string[] {
  const kept = `SSO session store: the ${store.label}${
    store.reason ? `, because ${store.reason}` : ""
  }`;
  if (!s.signed_in) return [`SSO ${s.issuer}: not signed in (run lmi login sso)`, kept];
  const who = s.user?.email ?? s.user?.name ?? s.user?.sub ?? "?";
  const left = s.expires_in_s ?? 0;
  const expiry = left > 0
    ? `access token expires in ${formatDuration(left * 1000)} (${s.expires_at})`
    : "access token expired, renewed on next use";
  const lines = [`SSO ${s.issuer}: signed in as ${who}, ${expiry}`];
  const signIn = describeSignIn(s, now);
  if (signIn) lines.push(signIn);
  return [...lines, kept];
}

/** When the person authenticated and with which `acr`, when the ID token said. */
function describeSignIn(s: SsoStatus, now: number): string | undefined {
  const parts: string[] = [];
  const at = s.auth_time === undefined ? NaN : Date.parse(s.auth_time);
  if (!Number.isNaN(at)) {
    const ago = Math.max(0, Math.floor((now - at) / 1000) * 1000); // auth_time is in seconds
    parts.push(`${formatDuration(ago)} ago (${new Date(at).toISOString()})`);
  }
  if (s.acr !== undefined) parts.push(`acr ${printable(s.acr)}`);
  return parts.length > 0 ? `SSO sign-in: ${parts.join(", ")}` : undefined;
}

/** No env and no [sso]: nothing to show the status of is a configuration error (exit 3). */
function nothingConfigured(config: LoadedConfig): ConfigError {
  if (!config.path) return noConfigFound(config.searched, undefined);
  return new ConfigError("NOTHING_CONFIGURED", `${config.path} defines no envs and no [sso]`, {
    hint: "add an [envs.NAME] table or an [sso] table to it (lmi init writes a starter config)",
  });
}

export async function run(_options: NoOptions, ctx: CommandContext): Promise<number> {
  const config = await configFor(ctx);
  const sso = ssoConfig(ctx.deps, config);
  let ssoState: SsoStatus | undefined;
  let store: SecretStore | undefined;
  if (sso) {
    const { ssoStatus, storeFor } = await import("../sso/sso.ts");
    store = await storeFor(ctx);
    ssoState = await ssoStatus(sso, ctx, store);
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
    const names = listEnvNames(ctx.deps, config);
    if (names.length === 0 && !sso) throw nothingConfigured(config);
    for (const name of names) {
      const env = resolveNamedEnv(ctx.deps, config, name);
      statuses.push({ name, auth_type: env.auth.type, token: await stateOf(env) });
    }
  }
  if (ctx.globals.json) await writeJson(ctx, { sso: ssoState ?? null, envs: statuses });
  else {
    const lines = ssoState ? describeSso(ssoState, store!, ctx.deps.now()) : [];
    for (const s of statuses) {
      const state = s.auth_type === "sso" && s.token.state === "valid"
        ? "uses the SSO session"
        : describeState(s.token);
      lines.push(`env ${s.name} (${s.auth_type}): ${state}`);
    }
    await ctx.deps.stdout.write(lines.map((l) => `${l}\n`).join(""));
  }
  if (ctx.globals.env !== undefined) return statuses[0]!.token.state === "valid" ? 0 : 1;
  return ssoState && !ssoState.signed_in ? 1 : 0;
}
