/**
 * Service-token revocation on `lmi logout` (RFC 7009): the refresh and access tokens of the
 * entry for the env's current configuration, at the revocation endpoint discovery offers,
 * authenticating the client as token requests do. Other configurations' entries (other projects
 * with an env of the same name) are deleted without revocation: lmi has not their credentials.
 *
 * @module
 */
import type { ResolvedEnv } from "../config/resolve.ts";
import { tokenDir } from "../config/paths.ts";
import { TokenCache } from "./cache.ts";
import { SERVICE_TYPES, type ServiceContext } from "./service.ts";
import { fingerprint } from "./token_set.ts";

export type Revocation =
  /** Both tokens (or the access token alone) were revoked. */
  | "revoked"
  /** Nothing cached for this configuration, or not a service env. */
  | "nothing"
  /** The IdP offers no revocation endpoint (or the env has no issuer to discover it from). */
  | "not-offered";

/** Revoke what the cache holds for the env's configuration. Network and IdP errors are thrown. */
export async function revokeServiceTokens(
  env: ResolvedEnv,
  ctx: ServiceContext,
): Promise<Revocation> {
  if (!(SERVICE_TYPES as readonly string[]).includes(env.auth.type)) return "nothing";
  const dir = tokenDir(ctx.deps);
  if (!dir) return "nothing";
  const found = await new TokenCache(dir, env.name).read(fingerprint(env.auth));
  if (found.state !== "hit") return "nothing";
  const entry = found.entry;
  ctx.log.redactor.add(entry.access_token);
  ctx.log.redactor.add(entry.refresh_token);
  if (!env.auth.issuer) return "not-offered";
  const [m, tls, { revokeTokenSet }] = await Promise.all([
    import("../oauth/client.ts"),
    import("../http/tls.ts"),
    import("../oauth/user_grants.ts"),
  ]);
  const server = await m.resolveServer(env.auth, env.name, {
    deps: { ...ctx.deps, fetch: tls.envFetch(ctx.deps, env.caFile, env.auth.clientCert) },
    log: ctx.log,
    timeoutMs: env.timeoutMs,
  });
  if (!server.info.revocation_endpoint) return "not-offered";
  const factory = await m.prepareClientAuth(env.auth, env.name);
  const { method } = m.clientAuthPlan(env.auth, server, entry.client_auth);
  const conn = m.connect(env.auth, server, factory, env.timeoutMs, method);
  const { accessRevoked } = await revokeTokenSet(conn, {
    access: entry.access_token,
    refresh: entry.refresh_token,
  });
  if (!accessRevoked) {
    ctx.log.info("the IdP cannot revoke this access token (it expires by itself)");
  }
  return "revoked";
}
