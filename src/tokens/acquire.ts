/**
 * Getting a token for an env by its auth type: the one place commands, the library, exec and
 * plugins ask for tokens. Envs with `requires_sso = true` need a valid SSO session first; envs
 * with `auth.type = "sso"` use the SSO access token.
 *
 * @module
 */
import type { Deps, TokenSet } from "../context.ts";
import type { ResolvedEnv } from "../config/resolve.ts";
import { ssoNotConfigured, ssoTable } from "../config/sso.ts";
import type { OfferLogin } from "../sso/sign_in.ts";
import { ConfigError, q } from "../errors.ts";
import type { Logger } from "../ui/log.ts";
import {
  getServiceToken,
  SERVICE_TYPES,
  type ServiceTokenOptions,
  type TokenOutcome,
} from "./service.ts";
import { lazyImport } from "../util/lazy.ts";
import { storedMarginMs, type StoredTimes, usableUntil } from "./margin.ts";

export interface AcquireContext {
  deps: Deps;
  log: Logger;
  /**
   * Offer a new SSO sign-in when the session is missing or cannot be refreshed. The CLI passes
   * one (it asks in a terminal); the library passes none, so it fails with the hint instead.
   * Resolving to undefined means "not now" (declined, or no terminal).
   */
  offerLogin?: OfferLogin;
}

/** A token and how long this process may keep using it without asking again. */
export interface AcquiredToken extends TokenOutcome {
  /**
   * Until when (ms since the epoch) the token may be reused from memory: its expiry less its
   * refresh margin (src/tokens/margin.ts: at most half its lifetime), and no later than the SSO
   * session's when the env requires one. Undefined:
   * ask every time (command tokens, which their helper caches, and tokens without an expiry).
   */
  reuseUntil?: number;
}

async function ssoSession(
  env: ResolvedEnv,
  ctx: AcquireContext,
  options: ServiceTokenOptions = {},
) {
  if (!env.sso) throw ssoNotConfigured(env.configPath, env.name, env.ssoProvider);
  const sso = env.sso;
  const { getSsoSession } = await lazyImport<typeof import("../sso/sso.ts")>(
    "../sso/sso.ts",
    import.meta.url,
  );
  const offer = ctx.offerLogin;
  return await getSsoSession(sso, ctx, {
    ...(options.minTtlMs !== undefined ? { minTtlMs: options.minTtlMs } : {}),
    ...(options.force ? { force: true } : {}),
    ...(options.rejectedToken ? { rejectedToken: options.rejectedToken } : {}),
    ...(offer ? { offerLogin: () => offer(sso, ctx) } : {}),
  });
}

/**
 * Token calls under way in this process, per deps object (one client's fetch and clock) and by
 * env and options: concurrent callers share one.
 */
const inFlight = new WeakMap<Deps, Map<string, Promise<AcquiredToken>>>();

/**
 * A token for the env. Concurrent calls in one process for the same env and options share one
 * promise (single flight), so they make one IdP request and take the cross-process lock once,
 * without announcing a wait for each other.
 */
export function acquireToken(
  env: ResolvedEnv,
  ctx: AcquireContext,
  options: ServiceTokenOptions,
): Promise<AcquiredToken> {
  const key = JSON.stringify([
    env.configPath ?? "",
    env.name,
    env.definedBy,
    options.minTtlMs ?? 0,
    options.force === true,
    options.rejectedToken ?? "",
  ]);
  let calls = inFlight.get(ctx.deps);
  if (!calls) inFlight.set(ctx.deps, calls = new Map());
  const running = calls.get(key);
  if (running) return running;
  const call = acquireOnce(env, ctx, options).finally(() => calls.delete(key));
  calls.set(key, call);
  return call;
}

/**
 * How long a client may rely on an SSO session without reading its store again: a sign-out
 * (`lmi logout sso` in another process) reaches running clients within this.
 */
export const SESSION_RECHECK_MS = 5_000;

/** Until when an SSO session may be relied on without reading it again. */
export async function ssoReuseUntil(session: StoredTimes, now: number): Promise<number> {
  const { SSO_REFRESH_MARGIN_MS } = await lazyImport<typeof import("../sso/sso.ts")>(
    "../sso/sso.ts",
    import.meta.url,
  );
  const margin = storedMarginMs(session, SSO_REFRESH_MARGIN_MS);
  return Math.min(Date.parse(session.expires_at) - margin, now + SESSION_RECHECK_MS);
}

async function acquireOnce(
  env: ResolvedEnv,
  ctx: AcquireContext,
  options: ServiceTokenOptions,
): Promise<AcquiredToken> {
  // requires_sso: the session must stay valid as long as the token is reused.
  let sessionUntil = Infinity;
  if (env.requiresSso && env.auth.type !== "sso") {
    const session = await ssoSession(env, ctx);
    sessionUntil = await ssoReuseUntil(session, ctx.deps.now());
  }
  if (env.auth.dpop && !(SERVICE_TYPES as readonly string[]).includes(env.auth.type)) {
    throw new ConfigError(
      "DPOP_UNSUPPORTED",
      `dpop = true is not supported for auth type ${q(env.auth.type)} (env ${q(env.name)})`,
      {
        hint: env.auth.type === "sso"
          ? `SSO envs use the session's DPoP setting: set dpop = true in ${
            ssoTable(env.ssoProvider)
          } and remove it from [envs.${env.name}.auth]`
          : 'DPoP works with "client_credentials", "password", "token_exchange" and "jwt_bearer"; remove dpop from the env',
      },
    );
  }
  switch (env.auth.type) {
    case "client_credentials":
    case "password":
    case "token_exchange":
    case "jwt_bearer": {
      const outcome = await getServiceToken(env, ctx, options);
      const { expiresAt, obtainedAt } = outcome.token;
      if (expiresAt === undefined) return outcome;
      const until = usableUntil(expiresAt, obtainedAt, env.auth.refreshMarginMs);
      return { ...outcome, reuseUntil: Math.min(until, sessionUntil) };
    }
    case "sso": {
      const s = await ssoSession(env, ctx, options);
      const token: TokenSet = {
        accessToken: s.access_token,
        tokenType: s.token_type,
        expiresAt: Date.parse(s.expires_at),
        obtainedAt: Date.parse(s.obtained_at),
        ...(s.scope ? { scope: s.scope } : {}),
      };
      // A DPoP-bound session (`[sso] dpop = true`): requests carry proofs made with its key.
      if (s.dpop_jwk && s.token_type.toLowerCase() === "dpop") {
        const { sessionDpopKey } = await lazyImport<typeof import("../sso/sso.ts")>(
          "../sso/sso.ts",
          import.meta.url,
        );
        const key = await sessionDpopKey(s);
        if (key) token.dpopKey = key;
      }
      return {
        token,
        from: "cache",
        cached: true,
        reuseUntil: await ssoReuseUntil(s, ctx.deps.now()),
      };
    }
    case "command": {
      const { commandToken } = await lazyImport<typeof import("./command.ts")>(
        "./command.ts",
        import.meta.url,
      );
      return await commandToken(env, {
        log: ctx.log,
        now: ctx.deps.now,
        os: ctx.deps.os,
        env: ctx.deps.env,
      });
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
