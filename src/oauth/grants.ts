/**
 * Service grants at the token endpoint: client credentials (RFC 6749 §4.4), resource owner
 * password (§4.3), refresh (§6), token exchange (RFC 8693) and JWT bearer (RFC 7523 §2.1), with
 * scopes, audience, resource and extra parameters.
 * Each returns the token response as plain data; errors are lmi's typed errors.
 *
 * @module
 */
import type { ResolvedAuth } from "../config/resolve.ts";
import type { DpopKey } from "../context.ts";
import type { OpenidClient } from "../deps.ts";
import { AuthError } from "../errors.ts";
import { printable } from "../ui/text.ts";
import type { Connection } from "./client.ts";
import { requireSecret } from "./client.ts";
import { type ErrorContext, toLmiError } from "./errors.ts";
import { unusableToken } from "./token_characters.ts";

/** The fields of a token endpoint response that lmi uses. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

/** A connection whose token requests carry DPoP proofs (RFC 9449 §5), when `dpop` is set. */
export type GrantConnection = Connection & { dpop?: OpenidClient.DPoPHandle };

/**
 * The connection with DPoP proofs made with `key` on its token requests; openid-client adds the
 * proof, takes the IdP's `DPoP-Nonce` and retries once when the IdP asks for one.
 */
export function withDpop(conn: Connection, key: DpopKey): GrantConnection {
  const pair = { privateKey: key.privateKey, publicKey: key.publicKey };
  return { ...conn, dpop: conn.lib.getDPoPHandle(conn.config, pair) };
}

/** openid-client's `{ DPoP }` option for a connection made with `withDpop`, else undefined. */
export function dpopOption(conn: GrantConnection): { DPoP: OpenidClient.DPoPHandle } | undefined {
  return conn.dpop ? { DPoP: conn.dpop } : undefined;
}

/** Request parameters common to every grant of this env. */
export function grantParams(auth: ResolvedAuth): Record<string, string> {
  const params: Record<string, string> = { ...auth.extraParams };
  if (auth.scopes.length > 0) params.scope = auth.scopes.join(" ");
  if (auth.audience) params.audience = auth.audience;
  if (auth.resource) params.resource = auth.resource;
  return params;
}

/** RFC 8693's grant type. */
export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
/** RFC 7523 §2.1's grant type. */
export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/** RFC 8693 §3: the subject token type used when `subject_token_type` is not set. */
export const JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";

type GrantName =
  | "client_credentials"
  | "password"
  | "refresh_token"
  | "token_exchange"
  | "jwt_bearer";

function hints(auth: ResolvedAuth, grant: GrantName) {
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
  if (auth.clientAuth === "federated_jwt") {
    h.invalid_client = `the IdP did not accept the workload's token as the client assertion for ${
      JSON.stringify(auth.clientId)
    }: check the federated credential (issuer, subject, audience) registered for the client`;
  }
  if (grant === "token_exchange" || grant === "jwt_bearer") {
    h.invalid_grant =
      "the IdP did not accept the subject token: check its trust of the token's issuer and the subject and audience it expects (subject_token_audience)";
    h.invalid_request = "check the subject token source and subject_token_type";
  }
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
  return toTokenResponse(response, (note) => conn.log.info(note));
}

/** The longest token lifetime lmi believes (one year); a longer `expires_in` is cut to it. */
export const MAX_TOKEN_LIFETIME_S = 365 * 24 * 3600;

/**
 * The fields lmi uses from a token endpoint response, as plain data. Tokens with characters that
 * cannot go into an HTTP header (or a terminal) are refused; a lifetime that is not a positive
 * number is dropped and one over {@link MAX_TOKEN_LIFETIME_S} shortened, each with a `note`.
 */
export function toTokenResponse(
  response: Record<string, unknown>,
  note: (message: string) => void = () => {},
): TokenResponse {
  const out: TokenResponse = {
    access_token: String(response.access_token),
    token_type: String(response.token_type ?? "Bearer"),
  };
  const unusable = unusableToken(out.access_token, out.token_type);
  if (unusable) throw badCharacters(unusable.field, unusable.what);
  const expiresIn = lifetime(response.expires_in, note);
  if (expiresIn !== undefined) out.expires_in = expiresIn;
  if (typeof response.scope === "string") out.scope = response.scope;
  for (const field of ["refresh_token", "id_token"] as const) {
    const value = response[field];
    if (typeof value !== "string") continue;
    if (printable(value) !== value) throw badCharacters(field, "control characters");
    out[field] = value;
  }
  return out;
}

/** `expires_in` as lmi uses it: a positive number of seconds, at most a year. */
function lifetime(value: unknown, note: (message: string) => void): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    note(
      `ignoring the IdP's expires_in ${
        JSON.stringify(value) ?? String(value)
      }: not a positive number of seconds`,
    );
    return undefined;
  }
  if (value > MAX_TOKEN_LIFETIME_S) {
    note(`the IdP's expires_in (${value} s) is more than a year; lmi uses one year`);
    return MAX_TOKEN_LIFETIME_S;
  }
  return value;
}

/** The token itself is never quoted: it may be a valid secret with one bad character. */
function badCharacters(field: string, what: string): AuthError {
  return new AuthError(
    "IDP_BAD_TOKEN",
    `the IdP's token response is unusable: its ${field} contains ${what}`,
    {
      hint:
        "lmi refuses tokens it cannot send safely in an HTTP header; report this to the IdP's administrators",
    },
  );
}

/** Client credentials grant. */
export function clientCredentials(
  conn: GrantConnection,
  auth: ResolvedAuth,
): Promise<TokenResponse> {
  return run(
    conn,
    { what: "token request (client_credentials)", hints: hints(auth, "client_credentials") },
    () => conn.lib.clientCredentialsGrant(conn.config, grantParams(auth), dpopOption(conn)),
  );
}

/** Resource owner password grant; username and password come from their `*_env` variables. */
export function password(
  conn: GrantConnection,
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
      }, dpopOption(conn)),
  );
}

/**
 * Token exchange (RFC 8693 §2.1): the subject token for an access token of this env's audience,
 * resource and scopes. `requested_token_type` and the like go in `extra_params`.
 */
export function tokenExchange(
  conn: GrantConnection,
  auth: ResolvedAuth,
  subjectToken: string,
): Promise<TokenResponse> {
  return run(
    conn,
    { what: "token exchange", hints: hints(auth, "token_exchange") },
    () =>
      conn.lib.genericGrantRequest(conn.config, TOKEN_EXCHANGE_GRANT, {
        ...grantParams(auth),
        subject_token: subjectToken,
        subject_token_type: auth.subjectTokenType ?? JWT_TOKEN_TYPE,
      }, dpopOption(conn)),
  );
}

/** JWT bearer grant (RFC 7523 §2.1): the subject token is the `assertion`. */
export function jwtBearer(
  conn: GrantConnection,
  auth: ResolvedAuth,
  assertion: string,
): Promise<TokenResponse> {
  return run(
    conn,
    { what: "token request (jwt-bearer)", hints: hints(auth, "jwt_bearer") },
    () =>
      conn.lib.genericGrantRequest(conn.config, JWT_BEARER_GRANT, {
        ...grantParams(auth),
        assertion,
      }, dpopOption(conn)),
  );
}

/** Refresh token grant. */
export function refresh(
  conn: GrantConnection,
  auth: ResolvedAuth,
  refreshToken: string,
): Promise<TokenResponse> {
  const params = grantParams(auth);
  return run(
    conn,
    { what: "refresh request", hints: hints(auth, "refresh_token") },
    () => conn.lib.refreshTokenGrant(conn.config, refreshToken, params, dpopOption(conn)),
  );
}
