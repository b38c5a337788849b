/**
 * `lmi logout sso`: revoke the refresh and access tokens at the IdP (RFC 7009) where it offers
 * revocation, then delete the session; what stays valid at the IdP is said. Offline: delete it
 * anyway and say revocation failed.
 *
 * @module
 */
import { requireSsoConfig } from "../config/sso.ts";
import { LmiError } from "../errors.ts";
import { deleteSession, loadSession } from "../sso/session.ts";
import { lockSso, storeFor } from "../sso/sso.ts";
import { configFor } from "./common.ts";
import { sayRevocation } from "./revocation_note.ts";
import type { Revocation } from "../tokens/revoke.ts";
import type { CommandContext, NoOptions } from "./spec.ts";

export { noOptions as parseOptions } from "./spec.ts";

export async function run(_options: NoOptions, ctx: CommandContext): Promise<number> {
  const sso = requireSsoConfig(ctx.deps, await configFor(ctx));
  const store = await storeFor(ctx);
  const lock = await lockSso(ctx, sso.issuer, "signing out");
  try {
    const session = await loadSession(store, sso.issuer, ctx.log);
    if (!session) {
      await deleteSession(store, sso.issuer);
      ctx.log.say(`Not signed in to ${sso.issuer}`);
      return 0;
    }
    try {
      const { ssoConnection } = await import("../sso/oidc.ts");
      const { revokeTokenSet } = await import("../oauth/user_grants.ts");
      const conn = await ssoConnection(sso, ctx);
      const outcome: Revocation = conn.server.revocation_endpoint
        ? {
          kind: "revoked",
          ...await revokeTokenSet(conn, {
            access: session.access_token,
            refresh: session.refresh_token,
          }),
        }
        : { kind: "not-offered" };
      sayRevocation(ctx.log, "the session's", outcome, "it offers no revocation endpoint");
    } catch (err) {
      const why = err instanceof LmiError
        ? err.message
        : err instanceof Error
        ? err.message
        : String(err);
      ctx.log.warn(`could not revoke the session at the IdP (${why}); it is deleted here`);
    }
    await deleteSession(store, sso.issuer);
    ctx.log.say(`Signed out of ${sso.issuer}`);
    return 0;
  } finally {
    lock?.release();
  }
}
