/**
 * The resource owner password credentials grant (RFC 6749 §4.3), which oidc-provider lacks:
 * for the `pw-client` client only, issuing an access token for the requested (or default)
 * resource and a refresh token.
 *
 * @module
 */
import { CLIENTS } from "./clients.ts";
import { errors, type KoaContext, type OidcContext, type OidcProvider } from "./oidc_types.ts";
import { type Resources, SCOPES } from "./resources.ts";
import { authenticate } from "./users.ts";

/** Adds `grant_type=password` to the token endpoint of `provider`. */
export function registerPasswordGrant(provider: OidcProvider, resources: Resources): void {
  provider.registerGrantType(
    "password",
    (ctx) => passwordGrant(provider, ctx, resources),
    ["username", "password", "scope", "resource", "audience"],
  );
}

async function passwordGrant(
  provider: OidcProvider,
  ctx: KoaContext & { oidc: OidcContext },
  resources: Resources,
): Promise<void> {
  const { client, params } = ctx.oidc;
  if (client.clientId !== CLIENTS.password.id) {
    throw new errors.UnauthorizedClient("this client may not use the password grant");
  }
  const { username, password } = params;
  if (!username || !password) {
    throw new errors.InvalidRequest("missing required parameter(s): username and password");
  }
  const user = authenticate(username, password);
  if (!user) {
    const err = new errors.InvalidGrant();
    err.error_description = "invalid username or password";
    throw err;
  }

  const indicator = params.resource === undefined ? resources.fallback(ctx) : params.resource;
  const info = resources.info(indicator); // throws invalid_target when unknown
  const resourceId = resources.canonical(indicator) ?? indicator;
  const resourceServer = new provider.ResourceServer(resourceId, info);

  const allowed = new Set(client.scope ? client.scope.split(" ") : SCOPES);
  const requested = [...new Set((params.scope ?? "").split(" ").filter(Boolean))];
  const granted = requested.filter((s) => allowed.has(s) && SCOPES.includes(s));
  const apiScopes = granted.filter((s) => resourceServer.scopes.has(s));
  const oidcScopes = granted.filter((s) => !resourceServer.scopes.has(s));

  const grant = new provider.Grant({ accountId: user.sub, clientId: client.clientId });
  if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(" "));
  if (apiScopes.length) grant.addResourceScope(resourceId, apiScopes.join(" "));
  const grantId = await grant.save();
  ctx.oidc.entity("Grant", grant);

  const at = new provider.AccessToken({
    accountId: user.sub,
    client,
    grantId,
    gty: "password",
    scope: apiScopes.join(" ") || undefined,
  });
  at.resourceServer = resourceServer;
  ctx.oidc.entity("AccessToken", at);
  const accessToken = await at.save();

  const rt = new provider.RefreshToken({
    accountId: user.sub,
    client,
    grantId,
    gty: "password",
    resource: resourceId,
    scope: granted.join(" ") || undefined,
    rotations: 0,
  });
  ctx.oidc.entity("RefreshToken", rt);
  const refreshToken = await rt.save();

  const body: Record<string, unknown> = {
    access_token: accessToken,
    token_type: at.tokenType,
    expires_in: at.expiration,
    refresh_token: refreshToken,
  };
  if (at.scope) body.scope = at.scope;
  ctx.body = body;
}
