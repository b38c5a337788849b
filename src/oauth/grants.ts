/**
 * Service grants at the token endpoint: client credentials (RFC 6749 §4.4), resource owner
 * password (§4.3) and refresh (§6), with scopes, audience, resource and extra parameters.
 * Each returns the token response as plain data; errors are lmi's typed errors.
 *
 * @module
 */
import type { ResolvedAuth } from "../config/resolve.ts";
import type { Connection } from "./client.ts";
import { requireSecret } from "./client.ts";
import { type ErrorContext, toLmiError } from "./errors.ts";

/** The fields of a token endpoint response that lmi uses. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

/** Request parameters common to every grant of this env. */
export function grantParams(auth: ResolvedAuth): Record<string, string> {
  const params: Record<string, string> = { ...auth.extraParams };
  if (auth.scopes.length > 0) params.scope = auth.scopes.join(" ");
  if (auth.audience) params.audience = auth.audience;
  if (auth.resource) params.resource = auth.resource;
  return params;
}

function hints(auth: ResolvedAuth, grant: "client_credentials" | "password" | "refresh_token") {
  const secretVar = auth.clientSecret?.variable;
  const h: Record<string, string> = {
    invalid_client: secretVar
      ? `check the client id ${JSON.stringify(auth.clientId)} and the secret in ${secretVar}`
      : `check the client id ${JSON.stringify(auth.clientId)} and its authentication method`,
    unauthorized_client:
      `the client is not allowed the ${grant} grant: check its configuration at the IdP`,
    invalid_scope: `check the scopes requested: ${auth.scopes.join(" ") || "(none)"}`,
    invalid_target: "check the env's resource / audience",
    unsupported_grant_type: `the IdP does not offer the ${grant} grant`,
  };
  if (grant === "password") {
    h.invalid_grant =
      `check the username and password in ${auth.username?.variable} and ${auth.password?.variable}`;
  }
  return h;
}

async function run(
  conn: Connection,
  ctx: Omit<ErrorContext, "last">,
  call: () => Promise<unknown>,
): Promise<TokenResponse> {
  let response: Record<string, unknown>;
  try {
    response = await call() as Record<string, unknown>;
  } catch (err) {
    throw toLmiError(err, { ...ctx, last: conn.transport.last() });
  }
  return toTokenResponse(response);
}

/** The fields lmi uses from a token endpoint response, as plain data. */
export function toTokenResponse(response: Record<string, unknown>): TokenResponse {
  const out: TokenResponse = {
    access_token: String(response.access_token),
    token_type: String(response.token_type ?? "Bearer"),
  };
  if (typeof response.expires_in === "number") out.expires_in = response.expires_in;
  if (typeof response.scope === "string") out.scope = response.scope;
  if (typeof response.refresh_token === "string") out.refresh_token = response.refresh_token;
  if (typeof response.id_token === "string") out.id_token = response.id_token;
  return out;
}

/** Client credentials grant. */
export function clientCredentials(conn: Connection, auth: ResolvedAuth): Promise<TokenResponse> {
  return run(
    conn,
    { what: "token request (client_credentials)", hints: hints(auth, "client_credentials") },
    () => conn.lib.clientCredentialsGrant(conn.config, grantParams(auth)),
  );
}

/** Resource owner password grant; username and password come from their `*_env` variables. */
export function password(
  conn: Connection,
  auth: ResolvedAuth,
  envName: string,
): Promise<TokenResponse> {
  const username = requireSecret(auth.username, "username", envName);
  const pass = requireSecret(auth.password, "password", envName);
  return run(
    conn,
    { what: "token request (password)", hints: hints(auth, "password") },
    () =>
      conn.lib.genericGrantRequest(conn.config, "password", {
        ...grantParams(auth),
        username,
        password: pass,
      }),
  );
}

/** Refresh token grant. */
export function refresh(
  conn: Connection,
  auth: ResolvedAuth,
  refreshToken: string,
): Promise<TokenResponse> {
  const params = grantParams(auth);
  return run(
    conn,
    { what: "refresh request", hints: hints(auth, "refresh_token") },
    () => conn.lib.refreshTokenGrant(conn.config, refreshToken, params),
  );
}
