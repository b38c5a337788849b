/**
 * Issuing tokens for the grants oidc-provider lacks (password, token exchange, JWT bearer): an
 * access token for the requested (or default) resource and scopes the client may have, and a
 * refresh token when asked.
 *
 * @module
 */
import type { KoaContext, OidcContext, OidcProvider } from "./oidc_types.ts";
import { type Resources, SCOPES } from "./resources.ts";

export interface IssueOptions {
  /** The subject of the tokens. */
  accountId: string;
  /** The grant type recorded on them. */
  gty: string;
  refreshToken: boolean;
  /** More fields for the response (`issued_token_type`). */
  extra?: Record<string, unknown>;
  /**
   * The thumbprint of the request's DPoP key (dpop_proof.ts): both tokens are bound to it (cnf.jkt,
   * token_type DPoP), and oidc-provider's refresh_token grant then demands proofs with that key.
   */
  jkt?: string;
}

/** Answer the token request with new tokens for `options.accountId`. */
export async function issueTokens(
  provider: OidcProvider,
  ctx: KoaContext & { oidc: OidcContext },
  resources: Resources,
  options: IssueOptions,
): Promise<void> {
  const { client, params } = ctx.oidc;
  const { accountId, gty, extra = {} } = options;
  const indicator = params.resource === undefined ? resources.fallback(ctx) : params.resource;
  const info = resources.info(indicator); // throws invalid_target when unknown
  const resourceId = resources.canonical(indicator) ?? indicator;
  const resourceServer = new provider.ResourceServer(resourceId, info);

  const allowed = new Set(client.scope ? client.scope.split(" ") : SCOPES);
  const requested = [...new Set((params.scope ?? "").split(" ").filter(Boolean))];
  const granted = requested.filter((s) => allowed.has(s) && SCOPES.includes(s));
  const apiScopes = granted.filter((s) => resourceServer.scopes.has(s));
  const oidcScopes = granted.filter((s) => !resourceServer.scopes.has(s));

  const grant = new provider.Grant({ accountId, clientId: client.clientId });
  if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(" "));
  if (apiScopes.length) grant.addResourceScope(resourceId, apiScopes.join(" "));
  const grantId = await grant.save();
  ctx.oidc.entity("Grant", grant);

  const at = new provider.AccessToken({
    accountId,
    client,
    grantId,
    gty,
    scope: apiScopes.join(" ") || undefined,
  });
  if (options.jkt) at.jkt = options.jkt;
  at.resourceServer = resourceServer;
  ctx.oidc.entity("AccessToken", at);
  const accessToken = await at.save();

  const body: Record<string, unknown> = {
    access_token: accessToken,
    token_type: at.tokenType,
    expires_in: at.expiration,
  };
  if (at.scope) body.scope = at.scope;
  Object.assign(body, extra);
  if (!options.refreshToken) {
    ctx.body = body;
    return;
  }
  const rt = new provider.RefreshToken({
    accountId,
    client,
    grantId,
    gty,
    resource: resourceId,
    scope: granted.join(" ") || undefined,
    rotations: 0,
    ...(options.jkt ? { jkt: options.jkt } : {}),
  });
  ctx.oidc.entity("RefreshToken", rt);
  const refreshToken = await rt.save();

  body.refresh_token = refreshToken;
  ctx.body = body;
}
