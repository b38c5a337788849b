/**
 * The grants that sign a person in, as lmi functions returning plain data: authorization code
 * with PKCE (S256), state and nonce (RFC 6749 §4.1, RFC 7636, OIDC), the device authorization
 * grant (RFC 8628), and token revocation (RFC 7009). openid-client stays inside oauth/.
 *
 * @module
 */
import type { Connection } from "./client.ts";
import { AuthError } from "../errors.ts";
import { durationText, formatDuration } from "../config/duration.ts";
import { toLmiError } from "./errors.ts";
import { dpopOption, type GrantConnection, type TokenResponse, toTokenResponse } from "./grants.ts";
import { safeText } from "../ui/text.ts";

/** What the code exchange needs to remember between the redirect and the callback. */
export interface PendingAuthorization {
  /** The URL to open in the browser. */
  url: string;
  redirectUri: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The `max_age` asked for, in seconds: the ID token's `auth_time` is checked against it. */
  maxAge?: number;
}

/**
 * What a sign-in asks of the IdP besides the scopes (OIDC Core 1.0 §3.1.2.1, RFC 9470 §4):
 * `acr_values` (space-separated, in order of preference) and `max_age` in seconds.
 */
export interface AuthenticationRequest {
  acrValues?: string | undefined;
  maxAge?: number | undefined;
}

/**
 * The error for a sign-in whose ID token does not satisfy the `max_age` it asked for: its
 * `auth_time` is `ageS` seconds old, or missing (undefined).
 */
export function signInAgeError(ageS: number | undefined, maxAge: number): AuthError {
  const asked = `--max-age ${durationText(maxAge)}`;
  if (ageS === undefined) {
    return new AuthError(
      "ID_TOKEN_INVALID",
      `the ID token has no auth_time, though ${asked} asked for one`,
      { hint: "the IdP does not support max_age; sign in without --max-age" },
    );
  }
  return new AuthError(
    "SIGN_IN_TOO_OLD",
    `the IdP signed you in ${formatDuration(ageS * 1000)} ago, longer than ${asked} allows`,
    {
      hint:
        "the IdP reused an older sign-in: sign out at the IdP in the browser, then sign in again",
    },
  );
}

/**
 * openid-client's refusal of an ID token for its `auth_time` (checked against `maxAge`), as
 * {@link signInAgeError}; undefined for any other error.
 */
function authTimeRefusal(err: unknown, maxAge: number): AuthError | undefined {
  // ClientError → oauth4webapi's OperationProcessingError → { claim, now, claims }.
  const processing = (err as { cause?: { message?: unknown; cause?: unknown } })?.cause;
  const check = processing?.cause as
    | { claim?: unknown; now?: unknown; claims?: { auth_time?: unknown } }
    | undefined;
  if (
    check?.claim === "auth_time" && typeof check.now === "number" &&
    typeof check.claims?.auth_time === "number"
  ) {
    return signInAgeError(check.now - check.claims.auth_time, maxAge);
  }
  const message = processing?.message;
  if (typeof message === "string" && /"auth_time" .*claim missing/.test(message)) {
    return signInAgeError(undefined, maxAge);
  }
  return undefined;
}

/** {@link AuthenticationRequest} as request parameters. */
function authenticationParams(asked: AuthenticationRequest): Record<string, string> {
  return {
    ...(asked.acrValues ? { acr_values: asked.acrValues } : {}),
    ...(asked.maxAge !== undefined ? { max_age: String(asked.maxAge) } : {}),
  };
}

/**
 * Build the authorization request for the loopback `redirectUri`. `prompt` (OIDC Core 1.0
 * §3.1.2.1) is sent as given when there is one: "consent" for offline access (§11); so are
 * `acr_values` and `max_age` (RFC 9470 §4).
 */
export async function authorizationRequest(
  conn: Connection,
  options: {
    redirectUri: string;
    scope: string;
    state: string;
    prompt?: string | undefined;
  } & AuthenticationRequest,
): Promise<PendingAuthorization> {
  const lib = conn.lib;
  const codeVerifier = lib.randomPKCECodeVerifier();
  const nonce = lib.randomNonce();
  const url = lib.buildAuthorizationUrl(conn.config, {
    redirect_uri: options.redirectUri,
    scope: options.scope,
    code_challenge: await lib.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state: options.state,
    nonce,
    ...(options.prompt ? { prompt: options.prompt } : {}),
    ...authenticationParams(options),
  });
  return {
    url: url.href,
    redirectUri: options.redirectUri,
    state: options.state,
    nonce,
    codeVerifier,
    ...(options.maxAge !== undefined ? { maxAge: options.maxAge } : {}),
  };
}

/** A random `state` value for an authorization request. */
export function randomState(conn: Connection): string {
  return conn.lib.randomState();
}

/** An authorization response that passed its checks: a code to exchange, or the IdP's error. */
export type AuthorizationAnswer =
  | { kind: "code"; url: URL }
  | { kind: "error"; error: string; description?: string };

/** What an authorization response must match. */
export interface ExpectedResponse {
  /** The issuer discovery validated: `iss`, when sent, must be exactly this (RFC 9207 §2.4). */
  issuer: string;
  /** The metadata says `authorization_response_iss_parameter_supported`: `iss` must be sent. */
  issRequired: boolean;
  state: string;
}

/** What `pending`'s response must match at `conn`'s IdP. */
export function expectedResponse(
  conn: Connection,
  pending: PendingAuthorization,
): ExpectedResponse {
  return {
    issuer: conn.server.issuer,
    issRequired: conn.config.serverMetadata().authorization_response_iss_parameter_supported ===
      true,
    state: pending.state,
  };
}

/**
 * Check the authorization response the browser brought to the redirect URI (RFC 6749 §4.1.2),
 * as the code exchange checks it again, so that an error answer is checked too: `iss` (RFC 9207:
 * the issuer when sent, and sent when the metadata says so), `state`; then the IdP's error
 * (RFC 6749 §4.1.2.1) or the code. `what` names the response in messages ("the pasted
 * address"). A response that fails is an AuthError (AUTH_RESPONSE_INVALID); its values are
 * never quoted but `iss`, made safe.
 */
export function checkAuthorizationResponse(
  url: URL,
  expected: ExpectedResponse,
  what: string,
  hint: string,
): AuthorizationAnswer {
  const params = url.searchParams;
  const refuse = (message: string) =>
    new AuthError("AUTH_RESPONSE_INVALID", `${what} ${message}`, { hint });
  const iss = params.get("iss");
  if (iss === null && expected.issRequired) {
    throw refuse("has no iss, which this IdP sends with every answer (RFC 9207)");
  }
  if (iss !== null && iss !== expected.issuer) {
    throw refuse(
      `is from another issuer (iss ${JSON.stringify(safeText(iss, 100))}, not ${
        JSON.stringify(expected.issuer)
      }; RFC 9207)`,
    );
  }
  const state = params.get("state");
  if (state !== expected.state) {
    throw refuse(
      state === null
        ? "has no state: it is not the answer to this sign-in"
        : "is the answer to another sign-in (its state is not this one's)",
    );
  }
  const error = params.get("error");
  if (error !== null) {
    const description = params.get("error_description");
    return { kind: "error", error, ...(description ? { description } : {}) };
  }
  if (!params.get("code")) throw refuse("holds no authorization code");
  return { kind: "code", url };
}

/**
 * Exchange the code the callback received (state, PKCE and the ID token's nonce checked; its
 * `auth_time` too when the request asked for a `max_age`).
 */
export async function exchangeCode(
  conn: GrantConnection,
  callbackUrl: URL,
  pending: PendingAuthorization,
): Promise<TokenResponse> {
  try {
    const tokens = await conn.lib.authorizationCodeGrant(
      conn.config,
      callbackUrl,
      {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
        ...(pending.maxAge !== undefined ? { maxAge: pending.maxAge } : {}),
      },
      undefined,
      dpopOption(conn),
    );
    return toTokenResponse(
      tokens as unknown as Record<string, unknown>,
      (note) => conn.log.info(note),
    );
  } catch (err) {
    const refusal = pending.maxAge !== undefined ? authTimeRefusal(err, pending.maxAge) : undefined;
    throw refusal ?? toLmiError(err, { what: "code exchange", last: conn.transport.last() });
  }
}

/** A device authorization (RFC 8628 §3.2), as the IdP answered it. */
export interface DeviceAuthorization {
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  /** The whole response, for polling. */
  raw: unknown;
}

/** Start the device authorization grant (`acr_values` and `max_age` sent when asked for). */
export async function startDeviceAuthorization(
  conn: Connection,
  scope: string,
  asked: AuthenticationRequest = {},
): Promise<DeviceAuthorization> {
  try {
    const device = await conn.lib.initiateDeviceAuthorization(conn.config, {
      scope,
      ...authenticationParams(asked),
    });
    return {
      user_code: device.user_code,
      verification_uri: device.verification_uri,
      ...(device.verification_uri_complete
        ? { verification_uri_complete: device.verification_uri_complete }
        : {}),
      expires_in: device.expires_in,
      raw: device,
    };
  } catch (err) {
    throw toLmiError(err, { what: "device authorization request", last: conn.transport.last() });
  }
}

/**
 * Poll the token endpoint at the IdP's interval (slowing down when asked) until the user
 * approves, denies, the code expires or `signal` aborts. Errors are raw: the caller words them.
 */
export async function pollDeviceAuthorization(
  conn: GrantConnection,
  device: DeviceAuthorization,
  signal: AbortSignal,
): Promise<TokenResponse> {
  const tokens = await conn.lib.pollDeviceAuthorizationGrant(
    conn.config,
    device.raw as Parameters<typeof conn.lib.pollDeviceAuthorizationGrant>[1],
    undefined,
    { signal, ...dpopOption(conn) },
  );
  return toTokenResponse(
    tokens as unknown as Record<string, unknown>,
    (note) => conn.log.info(note),
  );
}

/** Revoke a token (RFC 7009). */
export async function revokeToken(
  conn: Connection,
  token: string,
  hint: "access_token" | "refresh_token",
): Promise<void> {
  try {
    await conn.lib.tokenRevocation(conn.config, token, { token_type_hint: hint });
  } catch (err) {
    throw toLmiError(err, { what: "revocation request", last: conn.transport.last() });
  }
}

/** What a revocation did: which tokens the IdP revoked. */
export interface RevokedTokens {
  /** The refresh token was revoked (false: there was none). */
  refresh: boolean;
  /** The access token was revoked (false: the IdP cannot revoke it; it expires by itself). */
  access: boolean;
}

/**
 * Revoke a refresh token (when there is one) and its access token. A server that cannot revoke
 * this kind of access token says `unsupported_token_type` (RFC 7009 §2.2.1, e.g. self-contained
 * JWTs): that is not a failure, the token simply stays valid until it expires; `access` says
 * which it was.
 */
export async function revokeTokenSet(
  conn: Connection,
  tokens: { access: string; refresh?: string | undefined },
): Promise<RevokedTokens> {
  const refresh = tokens.refresh !== undefined && tokens.refresh !== "";
  if (refresh) await revokeToken(conn, tokens.refresh!, "refresh_token");
  try {
    await revokeToken(conn, tokens.access, "access_token");
    return { refresh, access: true };
  } catch (err) {
    if (err instanceof AuthError && err.oauthError === "unsupported_token_type") {
      return { refresh, access: false };
    }
    throw err;
  }
}
