/**
 * `lmi auth status [--env NAME] [--json]`: every SSO provider's session (user, expiry, store, when
 * and how the person signed in when the ID token said) and
 * each env's token state; never prints a token. With --env: exit 1 when that env has no valid
 * token (sso-type envs: no valid session at its provider). Without: exit 1 when a configured SSO
 * provider has no valid session.
 *
 * @module
 */
import type { LoadedConfig } from "../config/load.ts";
import { noConfigFound } from "../config/no_config.ts";
import { listEnvNames, type ResolvedEnv, resolveNamedEnv } from "../config/resolve.ts";
import { ConfigError } from "../errors.ts";
import { DEFAULT_PROVIDER, ssoConfigs, ssoLabel, ssoLoginCommand } from "../config/sso.ts";
import { printable } from "../ui/text.ts";
import { formatDuration } from "../config/duration.ts";
import { describeState, inspectServiceToken, type TokenState } from "../tokens/inspect.ts";
import type { SsoStatus } from "../sso/sso.ts";
import type { SecretStore } from "../sso/store.ts";
import { configFor, envFor, writeJson } from "./common.ts";
import type { CommandContext, NoOptions } from "./spec.ts";

export { noOptions as parseOptions } from "./spec.ts";

export interface EnvStatus {
  name: string;
  auth_type: string;
  /** The SSO provider of an env that uses one (`auth.type = "sso"` or `requires_sso`). */
  sso?: string;
  token: TokenState;
}

/** A provider's session: a line, and when and how the person signed in (when the ID token said). */
function describeSso(s: SsoStatus, now: number): string[] {
  const label = ssoLabel(s);
  if (!s.signed_in) return [`SSO ${label}: not signed in (run ${ssoLoginCommand(s)})`];
  const who = s.user?.email ?? s.user?.name ?? s.user?.sub ?? "?";
  const left = s.expires_in_s ?? 0;
  const expiry = left > 0
    ? `access token expires in ${formatDuration(left * 1000)} (${s.expires_at})`
    : "access token expired, renewed on next use";
  const signIn = describeSignIn(s, now);
  return [`SSO ${label}: signed in as ${who}, ${expiry}`, ...(signIn ? [signIn] : [])];
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

/** The line naming the sessions' store (and why a file, when it is one). */
function describeStore(store: SecretStore): string {
  return `SSO session store: the ${store.label}${store.reason ? `, because ${store.reason}` : ""}`;
}

/** No env and no SSO provider: nothing to show the status of is a configuration error (exit 3). */
function nothingConfigured(config: LoadedConfig): ConfigError {
  if (!config.path) return noConfigFound(config.searched, undefined);
  return new ConfigError("NOTHING_CONFIGURED", `${config.path} defines no envs and no [sso]`, {
    hint: "add an [envs.NAME] table or an [sso] table to it (lmi init writes a starter config)",
  });
}

function usesSso(env: ResolvedEnv): boolean {
  return env.auth.type === "sso" || env.requiresSso;
}

export async function run(_options: NoOptions, ctx: CommandContext): Promise<number> {
  const config = await configFor(ctx);
  const providers = ssoConfigs(ctx.deps, config);
  const sessions = new Map<string, SsoStatus>();
  let store: SecretStore | undefined;
  if (providers.length > 0) {
    const { ssoStatus, storeFor } = await import("../sso/sso.ts");
    store = await storeFor(ctx);
    for (const sso of providers) sessions.set(sso.name, await ssoStatus(sso, ctx, store));
  }
  const stateOf = async (env: ResolvedEnv): Promise<TokenState> => {
    if (env.auth.type !== "sso") return await inspectServiceToken(env, ctx);
    const session = sessions.get(env.ssoProvider);
    if (!session) {
      return {
        state: "none",
        reason: env.ssoProvider === DEFAULT_PROVIDER
          ? "no [sso] table"
          : `no SSO provider ${env.ssoProvider}`,
      };
    }
    return session.signed_in
      ? {
        state: "valid",
        ...(session.expires_at ? { expires_at: session.expires_at } : {}),
        reason: "SSO session",
      }
      : { state: "none", reason: "not signed in" };
  };
  const statusOf = async (env: ResolvedEnv): Promise<EnvStatus> => ({
    name: env.name,
    auth_type: env.auth.type,
    ...(usesSso(env) ? { sso: env.ssoProvider } : {}),
    token: await stateOf(env),
  });
  let statuses: EnvStatus[];
  if (ctx.globals.env !== undefined) {
    const { env } = await envFor(ctx);
    statuses = [await statusOf(env)];
  } else {
    statuses = [];
    const names = listEnvNames(ctx.deps, config);
    if (names.length === 0 && providers.length === 0) throw nothingConfigured(config);
    for (const name of names) {
      statuses.push(await statusOf(resolveNamedEnv(ctx.deps, config, name)));
    }
  }
  const all = [...sessions.values()];
  if (ctx.globals.json) {
    await writeJson(ctx, {
      // The default provider's session, as before there were several providers.
      sso: sessions.get(DEFAULT_PROVIDER) ?? null,
      sso_providers: all,
      envs: statuses,
    });
  } else {
    const lines = all.flatMap((s) => describeSso(s, ctx.deps.now()));
    if (store) lines.push(describeStore(store));
    for (const s of statuses) {
      const of = s.sso !== undefined && s.sso !== DEFAULT_PROVIDER ? ` of ${s.sso}` : "";
      const state = s.auth_type === "sso" && s.token.state === "valid"
        ? `uses the SSO session${of}`
        : describeState(s.token);
      lines.push(`env ${s.name} (${s.auth_type}): ${state}`);
    }
    await ctx.deps.stdout.write(lines.map((l) => `${l}\n`).join(""));
  }
  if (ctx.globals.env !== undefined) return statuses[0]!.token.state === "valid" ? 0 : 1;
  return all.some((s) => !s.signed_in) ? 1 : 0;
}
