/**
 * The resource owner password credentials grant (RFC 6749 §4.3), which oidc-provider lacks:
 * for the `pw-client` client only, issuing an access token for the requested (or default)
 * resource and a refresh token, both bound to the key of a DPoP proof when the request carries one
 * and the IdP has DPoP on (as oidc-provider's own grants do).
 *
 * @module
 */
import { CLIENTS } from "./clients.ts";
import { errors, type KoaContext, type OidcContext, type OidcProvider } from "./oidc_types.ts";
import type { Resources } from "./resources.ts";
import { checkTokenDpop } from "./dpop_proof.ts";
import { issueTokens } from "./issue.ts";
import { authenticate } from "./users.ts";

/** Adds `grant_type=password` to the token endpoint of `provider`. */
export function registerPasswordGrant(
  provider: OidcProvider,
  resources: Resources,
  dpop = false,
): void {
  provider.registerGrantType(
    "password",
    (ctx) => passwordGrant(provider, ctx, resources, dpop),
    ["username", "password", "scope", "resource", "audience"],
  );
}

async function passwordGrant(
  provider: OidcProvider,
  ctx: KoaContext & { oidc: OidcContext },
  resources: Resources,
  dpop: boolean,
): Promise<void> {
  const { client, params } = ctx.oidc;
  if (client.clientId !== CLIENTS.password.id) {
    throw new errors.UnauthorizedClient("this client may not use the password grant");
  }
  const jkt = dpop ? await checkTokenDpop(provider, ctx) : undefined;
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

  await issueTokens(provider, ctx, resources, {
    accountId: user.sub,
    gty: "password",
    refreshToken: true,
    ...(jkt ? { jkt } : {}),
  });
}
