/**
 * The oidc-provider configuration: clients, scopes and claims, the features on (client
 * credentials, device flow, introspection, revocation, resource indicators), token lifetimes,
 * the password grant added to it, and step-up (RFC 9470): `acr_values` the login satisfies
 * ({@link ACR_VALUES}), and a person's access tokens carrying `acr` and `auth_time`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { interactionPolicy, Provider } from "./oidc_provider.ts";
import { clientMetadata } from "./clients.ts";
import { providerPages } from "./pages.ts";
import { SIGNING_ALG, signingJwk } from "./keys.ts";
import {
  errors,
  type KoaContext,
  type OidcClient,
  type OidcProvider,
  type TokenModel,
} from "./oidc_types.ts";
import { registerPasswordGrant } from "./password_grant.ts";
import type { CiIssuerHandle } from "./ci_issuer.ts";
import { registerWorkloadGrants } from "./workload.ts";
import { resources, SCOPES } from "./resources.ts";
import { memoryAdapter } from "./store.ts";
import { findAccount } from "./users.ts";

const COOKIE_KEYS = ["lmi-dev-idp-cookie-key-1-not-a-secret"];

/**
 * The authentication context classes the login page signs people in with when a request asks
 * for one of them in `acr_values` (a sign-in that asks for none gets no `acr`). "phr": phishing
 * resistant, "phrh": phishing resistant hardware-protected (OpenID EAP ACR values); the dev IdP's
 * password form stands in for both.
 */
export const ACR_VALUES = ["phr", "phrh"];

/** What the sign-in's source (a code, a refresh token, a device code) says of the sign-in. */
interface SignInSource {
  acr?: string;
  authTime?: number;
}

/**
 * The login prompt, plus: a request whose `acr_values` the IdP's browser session does not
 * satisfy signs the person in again, as an IdP stepping up would (oidc-provider itself treats
 * `acr_values` as voluntary).
 */
function loginPolicy() {
  const { base, Check } = interactionPolicy;
  const policy = base();
  policy.get("login").checks.add(
    new Check(
      "acr_values",
      "the requested authentication context class is not satisfied",
      (ctx: KoaContext & { oidc: { acr?: string; result?: { login?: unknown } } }) => {
        const asked = ctx.oidc.params.acr_values?.split(" ") ?? [];
        if (asked.length === 0 || ctx.oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
        const acr = ctx.oidc.acr;
        return acr !== undefined && asked.includes(acr)
          ? Check.NO_NEED_TO_PROMPT
          : Check.REQUEST_PROMPT;
      },
    ),
  );
  return policy;
}

/** What a refresh token or a session-bound token is issued from: an authorization or device code. */
interface GrantSource {
  kind: string;
  scopes: Set<string>;
}

export interface ProviderSetup {
  issuer: string;
  /** The protected API's resource indicator. */
  resource: string;
  accessTokenTtl: number;
  /** Public key of the private_key_jwt client. */
  jwtClientKey: Record<string, unknown>;
  deviceCodeTtl: number;
  /** The CI issuer trusted for workload identity. */
  ci: CiIssuerHandle;
  /** oidc-provider's DPoP feature, when set. */
  dpop?: { requireNonce?: boolean };
}

/** A new oidc-provider with its own signing key and in-memory store. */
export async function createProvider(setup: ProviderSetup): Promise<OidcProvider> {
  const { issuer, resource, accessTokenTtl, jwtClientKey, deviceCodeTtl, ci } = setup;
  const jwk = await signingJwk();
  const known = resources(resource, accessTokenTtl);

  const tokenTtl = (_ctx: unknown, token: TokenModel) =>
    token.resourceServer?.accessTokenTTL ?? accessTokenTtl;

  const provider = new Provider(issuer, {
    adapter: memoryAdapter(),
    jwks: { keys: [jwk] },
    cookies: { keys: COOKIE_KEYS },
    clients: clientMetadata(jwtClientKey),
    clientDefaults: { id_token_signed_response_alg: SIGNING_ALG },
    scopes: SCOPES,
    claims: {
      openid: ["sub"],
      profile: ["name", "preferred_username"],
      email: ["email", "email_verified"],
    },
    findAccount,
    acrValues: ACR_VALUES,
    // RFC 9068 §2.2.1 and RFC 9470 §6: a person's access tokens say how and when they signed in,
    // for the API's step-up checks (api_routes.ts, /stepup).
    extraTokenClaims: (ctx: KoaContext, token: { accountId?: string }) => {
      if (!token.accountId) return Promise.resolve(undefined);
      const e = (ctx.oidc as { entities?: Record<string, SignInSource> } | undefined)?.entities;
      const source = e?.AuthorizationCode ?? e?.RefreshToken ?? e?.DeviceCode;
      if (!source) return Promise.resolve(undefined);
      return Promise.resolve({
        ...(source.acr ? { acr: source.acr } : {}),
        ...(source.authTime !== undefined ? { auth_time: source.authTime } : {}),
      });
    },
    features: {
      ...(setup.dpop
        ? {
          dPoP: {
            enabled: true,
            nonceSecret: Buffer.from(crypto.getRandomValues(new Uint8Array(32))),
            requireNonce: () => setup.dpop?.requireNonce === true,
          },
        }
        : {}),
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // Any confidential client may introspect any token; a public one only its own.
        allowedPolicy: (
          _ctx: unknown,
          client: { clientId: string; clientAuthMethod: string },
          token: { clientId?: string },
        ) =>
          Promise.resolve(client.clientAuthMethod !== "none" || token.clientId === client.clientId),
      },
      revocation: {
        enabled: true,
        // oidc-provider's default rule, given here so that it prints no notice when used: a
        // client revokes only its own tokens; a confidential one asking for another's is an error.
        allowedPolicy: (
          _ctx: unknown,
          client: { clientId: string; clientAuthMethod: string },
          token: { clientId?: string },
        ) => {
          if (token.clientId === client.clientId) return Promise.resolve(true);
          if (client.clientAuthMethod === "none") return Promise.resolve(false);
          throw new errors.InvalidRequest("client is not authorized to revoke the presented token");
        },
      },
      deviceFlow: { enabled: true, ...providerPages.deviceFlow },
      rpInitiatedLogout: { enabled: true, ...providerPages.rpInitiatedLogout },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx: KoaContext, _client: unknown, oneOf?: string[]) =>
          Promise.resolve(oneOf ?? known.fallback(ctx)),
        useGrantedResource: () => Promise.resolve(true),
        getResourceServerInfo: (_ctx: unknown, indicator: string) =>
          Promise.resolve(known.info(indicator)),
      },
    },
    interactions: {
      policy: loginPolicy(),
      url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    pkce: {
      required: (_ctx: unknown, client: { clientAuthMethod: string }) =>
        client.clientAuthMethod === "none",
    },
    // The authorization code flow is as OpenID Connect has it (Core 1.0 §11, oidc-provider's
    // defaults): a refresh token only with offline_access, which the authorization endpoint
    // drops unless the request says prompt=consent; without it the tokens end with the IdP's
    // browser session. The device grant gets a refresh token whenever the client may refresh.
    // Refresh tokens are replaced on every use.
    issueRefreshToken: (_ctx: unknown, client: OidcClient, source: GrantSource) =>
      Promise.resolve(
        client.grantTypeAllowed("refresh_token") &&
          (source.kind !== "AuthorizationCode" || source.scopes.has("offline_access")),
      ),
    rotateRefreshToken: true,
    expiresWithSession: (_ctx: unknown, source: GrantSource) =>
      Promise.resolve(source.kind === "AuthorizationCode" && !source.scopes.has("offline_access")),
    clientBasedCORS: () => true,
    renderError: providerPages.renderError,
    ttl: {
      AccessToken: tokenTtl,
      ClientCredentials: tokenTtl,
      AuthorizationCode: 60,
      BackchannelAuthenticationRequest: 600,
      DeviceCode: deviceCodeTtl,
      IdToken: 3600,
      Interaction: 3600,
      PreAuthorizedCode: 600,
      RefreshToken: 24 * 3600,
      Session: 24 * 3600,
      Grant: 7 * 24 * 3600,
    },
  }) as OidcProvider;

  registerPasswordGrant(provider, known, setup.dpop !== undefined);
  registerWorkloadGrants(provider, known, ci, issuer);
  return provider;
}
