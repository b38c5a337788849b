/**
 * `lmi logout sso [NAME|--all]`: revoke the provider's refresh and access tokens at its IdP
 * (RFC 7009) where it offers revocation, then delete the session; what stays valid at the IdP is
 * said. Offline: delete it anyway and say revocation failed. NAME: the provider (default
 * "default"); --all: every provider of the config.
 *
 * @module
 */
import { requireSsoConfig, type SsoConfig, ssoConfigs, ssoLabel } from "../config/sso.ts";
import { LmiError, UsageError } from "../errors.ts";
import { deleteSession, loadSession } from "../sso/session.ts";
import { lockSso, type SsoContext, storeFor } from "../sso/sso.ts";
import type { SecretStore } from "../sso/store.ts";
import { configFor } from "./common.ts";
import { sayRevocation } from "./revocation_note.ts";
import type { Revocation } from "../tokens/revoke.ts";
import type { CommandArgs, CommandContext, Flags, LOGOUT_SSO_OPTIONS } from "./spec.ts";

export interface LogoutSsoOptions {
  /** The provider named on the command line (none: "default"). */
  provider?: string;
  /** Sign out of every provider. */
  all: boolean;
}

/** The command line → options (no I/O). */
export function parseOptions(
  flags: Flags<typeof LOGOUT_SSO_OPTIONS>,
  { positionals }: Pick<CommandArgs, "positionals">,
): LogoutSsoOptions {
  const [provider] = positionals;
  if (provider !== undefined && flags.all) {
    throw new UsageError("BAD_ARGUMENTS", "give a provider or --all, not both", {
      hint: "usage: lmi logout sso [NAME|--all]",
    });
  }
  return provider === undefined ? { all: flags.all } : { provider, all: false };
}

export async function run(options: LogoutSsoOptions, ctx: CommandContext): Promise<number> {
  const config = await configFor(ctx);
  const all = options.all ? ssoConfigs(ctx.deps, config) : [];
  // Nothing to sign out of, or one provider: the error says how to configure or name one.
  const providers = all.length > 0
    ? all
    : [requireSsoConfig(ctx.deps, config, options.provider, "lmi logout sso")];
  const store = await storeFor(ctx);
  for (const sso of providers) await signOut(sso, store, ctx);
  return 0;
}

/** Revoke and delete one provider's session. */
async function signOut(sso: SsoConfig, store: SecretStore, ctx: SsoContext): Promise<void> {
  const lock = await lockSso(ctx, sso, "signing out");
  try {
    const session = await loadSession(store, sso, ctx.log);
    if (!session) {
      await deleteSession(store, sso);
      ctx.log.say(`Not signed in to ${ssoLabel(sso)}`);
      return;
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
    await deleteSession(store, sso);
    ctx.log.say(`Signed out of ${ssoLabel(sso)}`);
  } finally {
    lock?.release();
  }
}
