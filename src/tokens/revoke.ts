/**
 * Service-token revocation on `lmi logout` (RFC 7009): the refresh and access tokens of the
 * entry for the env's current configuration, at the env's `revocation_url` or the revocation
 * endpoint discovery offers, authenticating the client as token requests do. Other
 * configurations' entries (other projects with an env of the same name) are deleted without
 * revocation: lmi has not their credentials.
 *
 * @module
 */
import type { ResolvedEnv } from "../config/resolve.ts";
import { tokenDir } from "../config/paths.ts";
import { TokenCache } from "./cache.ts";
import { SERVICE_TYPES, type ServiceContext } from "./service.ts";
import { fingerprint } from "./token_set.ts";
import type { RevokedTokens } from "../oauth/user_grants.ts";

/** What revoking an env's (or the SSO session's) tokens came to. */
export type Revocation =
  /** Nothing cached for this configuration, or not a service env. */
  | { kind: "nothing" }
  /**
   * No revocation endpoint: discovery offers none, or the env has no issuer to discover one
   * from and no `revocation_url`. The tokens stay valid at the IdP until they expire.
   */
  | { kind: "not-offered" }
  /** The IdP answered; which tokens it revoked (an access token it cannot revoke stays valid). */
  | ({ kind: "revoked" } & RevokedTokens);

/** Revoke what the cache holds for the env's configuration. Network and IdP errors are thrown. */
export async function revokeServiceTokens(
  env: ResolvedEnv,
  ctx: ServiceContext,
): Promise<Revocation> {
  if (!(SERVICE_TYPES as readonly string[]).includes(env.auth.type)) return { kind: "nothing" };
  const dir = tokenDir(ctx.deps);
  if (!dir) return { kind: "nothing" };
  const found = await new TokenCache(dir, env.name).read(fingerprint(env.auth));
  if (found.state !== "hit") return { kind: "nothing" };
  const entry = found.entry;
  ctx.log.redactor.add(entry.access_token);
  ctx.log.redactor.add(entry.refresh_token);
  if (!env.auth.issuer && !env.auth.revocationUrl) return { kind: "not-offered" };
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
  if (!server.info.revocation_endpoint) return { kind: "not-offered" };
  const factory = await m.prepareClientAuth(env.auth, env.name);
  const { method } = m.clientAuthPlan(env.auth, server, entry.client_auth);
  const conn = m.connect(env.auth, server, factory, env.timeoutMs, method);
  const revoked = await revokeTokenSet(conn, {
    access: entry.access_token,
    refresh: entry.refresh_token,
  });
  return { kind: "revoked", ...revoked };
}
