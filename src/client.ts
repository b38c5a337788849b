/**
 * An authenticated client for one env, shared by the library (`createClient`), `lmi request`,
 * `lmi exec` and plugins: config resolved like the CLI does, tokens from the cache (renewed under
 * the lock), and the authenticated fetch.
 *
 * @module
 */
import { envFetch } from "./http/tls.ts";
import type { Deps } from "./context.ts";
import type { ResolvedEnv } from "./config/resolve.ts";
import { acquireToken } from "./tokens/acquire.ts";
import { type AuthedFetch, createAuthedFetch } from "./http/client.ts";
import type { ServiceTokenOptions, TokenSet } from "./tokens/service.ts";
import type { Logger } from "./ui/log.ts";
import type { Redactor } from "./ui/redact.ts";

export interface EnvClient {
  env: ResolvedEnv;
  fetch: AuthedFetch;
  /** A valid token for the env (cached, renewed when needed). */
  token(options?: ServiceTokenOptions): Promise<TokenSet>;
}

/** Bind the token source and the authenticated fetch to a resolved env. */
export function envClient(env: ResolvedEnv, ctx: { deps: Deps; log: Logger }): EnvClient {
  const token = (options: ServiceTokenOptions = {}) =>
    acquireToken(env, ctx, options).then((o) => o.token);
  const hasAuth = env.auth.type !== "none";
  const fetch = createAuthedFetch({
    env,
    deps: { ...ctx.deps, fetch: envFetch(ctx.deps, env.caFile) },
    log: ctx.log,
    ...(hasAuth
      ? { token: ({ rejectedToken }) => token(rejectedToken ? { rejectedToken } : {}) }
      : {}),
  });
  return { env, fetch, token };
}

/** Make sure the env's secret values are redacted from anything printed. */
export function registerEnvSecrets(redactor: Redactor, env: ResolvedEnv): void {
  for (const ref of [env.auth.clientSecret, env.auth.password, env.auth.privateKey]) {
    redactor.add(ref?.value);
  }
}
