/**
 * Getting a token for an env by its auth type: the one place commands, the library, exec and
 * plugins ask for tokens. Envs with `requires_sso = true` need a valid SSO session first; envs
 * with `auth.type = "sso"` use the SSO access token.
 *
 * @module
 */
import type { Deps } from "../context.ts";
import type { ResolvedEnv } from "../config/resolve.ts";
import type { SsoConfig } from "../config/sso.ts";
import { ConfigError, q } from "../errors.ts";
import type { Logger } from "../ui/log.ts";
import { getServiceToken, type ServiceTokenOptions, type TokenOutcome } from "./service.ts";

export interface AcquireContext {
  deps: Deps;
  log: Logger;
}

function needSso(env: ResolvedEnv): SsoConfig {
  if (env.sso) return env.sso;
  throw new ConfigError(
    "SSO_NOT_CONFIGURED",
    `env ${q(env.name)} needs SSO, but the config has no [sso] table`,
    {
      hint: "add [sso] with issuer and client_id to the config",
    },
  );
}

async function ssoSession(
  env: ResolvedEnv,
  ctx: AcquireContext,
  options: ServiceTokenOptions = {},
) {
  const sso = needSso(env);
  const { getSsoSession, isInteractive } = await import("../sso/sso.ts");
  const offerLogin = isInteractive(ctx.deps)
    ? async () => {
      ctx.log.say("Your SSO session has expired or is missing. Sign in again now? [Y/n] ");
      await ctx.log.flush();
      const answer = (await ctx.deps.readLine())?.trim().toLowerCase() ?? "n";
      if (answer !== "" && answer !== "y" && answer !== "yes") {
        const { AuthError } = await import("../errors.ts");
        throw new AuthError("SSO_REQUIRED", "session expired: run `lmi login sso`", {
          hint: "sign in with lmi login sso",
        });
      }
      const { signIn } = await import("../cli/login_sso.ts");
      return await signIn(
        sso,
        ctx,
        { device: false, openBrowser: true, timeoutMs: 5 * 60_000 },
        true,
      );
    }
    : undefined;
  return await getSsoSession(sso, ctx, {
    ...(options.minTtlMs !== undefined ? { minTtlMs: options.minTtlMs } : {}),
    ...(options.force ? { force: true } : {}),
    ...(options.rejectedToken ? { rejectedToken: options.rejectedToken } : {}),
    ...(offerLogin ? { offerLogin } : {}),
  });
}

/** Token calls under way in this process, by env and options: concurrent callers share one. */
const inFlight = new Map<string, Promise<TokenOutcome>>();

/**
 * A token for the env. Concurrent calls in one process for the same env and options share one
 * promise (single flight), so they make one IdP request and take the cross-process lock once,
 * without announcing a wait for each other.
 */
export function acquireToken(
  env: ResolvedEnv,
  ctx: AcquireContext,
  options: ServiceTokenOptions,
): Promise<TokenOutcome> {
  const key = JSON.stringify([
    env.configPath ?? "",
    env.name,
    options.minTtlMs ?? 0,
    options.force === true,
    options.rejectedToken ?? "",
  ]);
  const running = inFlight.get(key);
  if (running) return running;
  const call = acquireOnce(env, ctx, options).finally(() => inFlight.delete(key));
  inFlight.set(key, call);
  return call;
}

async function acquireOnce(
  env: ResolvedEnv,
  ctx: AcquireContext,
  options: ServiceTokenOptions,
): Promise<TokenOutcome> {
  if (env.requiresSso && env.auth.type !== "sso") await ssoSession(env, ctx);
  switch (env.auth.type) {
    case "client_credentials":
    case "password":
      return await getServiceToken(env, ctx, options);
    case "sso": {
      const s = await ssoSession(env, ctx, options);
      const token = {
        accessToken: s.access_token,
        tokenType: s.token_type,
        expiresAt: Date.parse(s.expires_at),
        obtainedAt: Date.parse(s.obtained_at),
        ...(s.scope ? { scope: s.scope } : {}),
      };
      return { token, from: "cache", cached: true };
    }
    case "command": {
      const { commandToken } = await import("./command.ts");
      return await commandToken(env, { log: ctx.log, now: ctx.deps.now });
    }
    case "none":
      throw new ConfigError(
        "NO_AUTH",
        `env ${q(env.name)} has no authentication (auth.type = "none")`,
        {
          hint:
            `set [envs.${env.name}.auth] type = "client_credentials", "password", "sso" or "command"`,
        },
      );
  }
}
