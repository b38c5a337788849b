/**
 * The SSO identity provider as an openid-client configuration: discovery from `[sso].issuer`,
 * a public client (PKCE) or a confidential one (`client_secret_env`), lmi's transport (timeout,
 * -vv logging, the OS trust store).
 *
 * @module
 */
import { envFetch } from "../http/tls.ts";
import type { Deps } from "../context.ts";
import type { SsoConfig } from "../config/sso.ts";
import type { ResolvedAuth } from "../config/resolve.ts";
import {
  clientAuthPlan,
  connect,
  type Connection,
  prepareClientAuth,
  resolveServer,
  type Server,
} from "../oauth/client.ts";
import type { Logger } from "../ui/log.ts";

export const SSO_TIMEOUT_MS = 30_000;

/** The [sso] settings in the shape the OAuth layer takes. */
export function ssoAuth(sso: SsoConfig): ResolvedAuth {
  const auth: ResolvedAuth = {
    type: "sso",
    issuer: sso.issuer,
    clientId: sso.clientId,
    clientAuth: sso.clientSecret ? "auto" : "none",
    scopes: sso.scopes,
    extraParams: {},
    refreshMarginMs: 60_000,
    verifyAccessToken: "auto",
  };
  if (sso.clientSecret) auth.clientSecret = sso.clientSecret;
  if (sso.issuerSetting) auth.issuerSetting = sso.issuerSetting;
  return auth;
}

type OidcContext = { deps: Pick<Deps, "fetch" | "now" | "env" | "os">; log: Logger };

/** The IdP's endpoints, from discovery (no client secret needed). */
export function ssoServer(
  sso: SsoConfig,
  ctx: OidcContext,
  timeoutMs = SSO_TIMEOUT_MS,
): Promise<Server> {
  const deps = { ...ctx.deps, fetch: envFetch(ctx.deps, undefined) };
  return resolveServer(ssoAuth(sso), "sso", { deps, log: ctx.log, timeoutMs });
}

export async function ssoConnection(sso: SsoConfig, ctx: OidcContext): Promise<Connection> {
  const auth = ssoAuth(sso);
  const server = await ssoServer(sso, ctx);
  // A confidential SSO client authenticates as the IdP's metadata suggests; no retry with
  // another method, since an authorization code can be used only once.
  const { method } = clientAuthPlan(auth, server);
  const conn = connect(
    auth,
    server,
    await prepareClientAuth(auth, "sso"),
    SSO_TIMEOUT_MS,
    method,
  );
  return conn;
}
