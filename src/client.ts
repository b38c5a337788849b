/**
 * An authenticated client for one env, shared by the library (`createClient`), `lmi request`,
 * `lmi exec` and plugins: config resolved like the CLI does, tokens from the cache (renewed under
 * the lock), and the authenticated fetch.
 *
 * @module
 */
import { envFetch } from "./http/tls.ts";
import type { ResolvedEnv } from "./config/resolve.ts";
import { type AcquireContext, acquireToken } from "./tokens/acquire.ts";
import { type AuthedFetch, createAuthedFetch, type TokenSource } from "./http/client.ts";
import type { ServiceTokenOptions, TokenSet } from "./tokens/service.ts";

export interface EnvClient {
  env: ResolvedEnv;
  fetch: AuthedFetch;
  /** A valid token for the env (cached, renewed when needed). */
  token(options?: ServiceTokenOptions): Promise<TokenSet>;
}

/** Bind the token source and the authenticated fetch to a resolved env. */
export function envClient(env: ResolvedEnv, ctx: AcquireContext): EnvClient {
  const token = (options: ServiceTokenOptions = {}) =>
    acquireToken(env, ctx, options).then((o) => o.token);
  const hasAuth = env.auth.type !== "none";
  /**
   * The API requests' token, kept in memory while it outlives its refresh margin (at most half
   * its lifetime: src/tokens/margin.ts), so a request costs no cache read and no verification.
   * Near expiry (or after a 401) the cache is asked again under its usual rules, so another
   * process's renewal is picked up there.
   */
  let held: { token: TokenSet; until: number } | undefined;
  /** The last token the API refused: never held again (a slower, older call may return it). */
  let refused: string | undefined;
  const apiToken: TokenSource = ({ rejectedToken }) => {
    if (rejectedToken !== undefined) {
      refused = rejectedToken;
      if (held?.token.accessToken === rejectedToken) held = undefined;
    } else if (held && ctx.deps.now() < held.until) {
      return held.token;
    }
    return acquireToken(env, ctx, rejectedToken ? { rejectedToken } : {}).then((outcome) => {
      const { token, reuseUntil } = outcome;
      if (
        reuseUntil !== undefined && token.accessToken !== refused &&
        (!held || token.obtainedAt >= held.token.obtainedAt)
      ) {
        held = { token, until: reuseUntil };
      }
      return token;
    });
  };
  // mtls_api: the API sees the client certificate too (certificate-bound tokens, RFC 8705 §3).
  const apiCert = env.auth.mtlsApi ? env.auth.clientCert : undefined;
  const fetch = createAuthedFetch({
    env,
    deps: { ...ctx.deps, fetch: envFetch(ctx.deps, env.caFile, apiCert) },
    log: ctx.log,
    ...(hasAuth ? { token: apiToken } : {}),
  });
  return { env, fetch, token };
}
