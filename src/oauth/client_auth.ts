/**
 * Client authentication at the token endpoint: the methods (RFC 6749 §2.3.1 Basic and post,
 * RFC 7523 private_key_jwt, RFC 8705 mutual TLS, none), HTTP Basic credentials that servers
 * which do not URL-decode them accept too, and the automatic choice when `client_auth` is not
 * configured: from the discovery document, with one retry using `client_secret_post` when the
 * server rejects Basic (the method that worked is remembered by the caller), as Go's x/oauth2
 * AuthStyleAutoDetect does.
 *
 * @module
 */
import type { OpenidClient } from "../deps.ts";
import type { ClientAuth } from "../config/schema.ts";
import { AuthError } from "../errors.ts";

/**
 * Percent-encode what is not an RFC 3986 unreserved character. RFC 6749 §2.3.1 asks for
 * form-urlencoding before base64, but many servers never decode (RFC 7617 has no such step);
 * leaving `A-Z a-z 0-9 - . _ ~` as they are makes typical ids and secrets work on both kinds.
 */
export function encodeBasicPart(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The `Authorization` value for HTTP Basic client authentication. */
export function basicAuthorization(clientId: string, secret: string): string {
  return `Basic ${btoa(`${encodeBasicPart(clientId)}:${encodeBasicPart(secret)}`)}`;
}

/** HTTP Basic client authentication with {@link basicAuthorization}'s encoding. */
export function clientSecretBasic(secret: string): OpenidClient.ClientAuth {
  return (_as, client, _body, headers) => {
    headers.set("authorization", basicAuthorization(client.client_id, secret));
  };
}

/** RFC 7523 §2.2's client assertion type. */
export const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/**
 * Federated client authentication (RFC 7523 §2.2 with an assertion lmi did not sign, as Entra ID
 * workload identity federation takes): the workload's token, from its CI system or cluster, is
 * the `client_assertion`.
 */
export function federatedJwt(assertion: string): OpenidClient.ClientAuth {
  return (_as, client, body) => {
    body.set("client_id", client.client_id);
    body.set("client_assertion_type", JWT_BEARER_ASSERTION);
    body.set("client_assertion", assertion);
  };
}

/**
 * Mutual-TLS client authentication (RFC 8705 §2: `tls_client_auth` with a CA-issued certificate,
 * `self_signed_tls_client_auth` with one registered with the IdP): the certificate, presented in
 * the TLS handshake by the env's fetch, is the credential; the body names the client, no secret.
 */
export function tlsClientAuth(): OpenidClient.ClientAuth {
  return (_as, client, body) => {
    body.set("client_id", client.client_id);
  };
}

export type SecretMethod = "client_secret_basic" | "client_secret_post";

/** Which method to use first, why, and what to try once if the server rejects it. */
export interface ClientAuthPlan {
  method: ClientAuth;
  reason: string;
  /** Set only when the method was chosen automatically. */
  fallback?: SecretMethod;
}

/**
 * Plan client authentication. An explicit `client_auth` is used as it is. Otherwise: the method
 * remembered from an earlier success, else what the server's metadata lists (Basic when it lists
 * nothing, RFC 8414 §2's default), with the other secret method as the one fallback.
 */
export function planClientAuth(
  configured: ClientAuth | "auto",
  supported: readonly string[] | undefined,
  remembered: string | undefined,
): ClientAuthPlan {
  if (configured !== "auto") return { method: configured, reason: "configured" };
  const other = (m: SecretMethod): SecretMethod =>
    m === "client_secret_basic" ? "client_secret_post" : "client_secret_basic";
  if (remembered === "client_secret_basic" || remembered === "client_secret_post") {
    return {
      method: remembered,
      reason: "it worked with this IdP before",
      fallback: other(remembered),
    };
  }
  if (!supported || supported.length === 0) {
    return {
      method: "client_secret_basic",
      reason: "the IdP lists no methods; Basic is the default",
      fallback: "client_secret_post",
    };
  }
  if (supported.includes("client_secret_basic")) {
    return {
      method: "client_secret_basic",
      reason: "the IdP lists it in token_endpoint_auth_methods_supported",
      fallback: "client_secret_post",
    };
  }
  if (supported.includes("client_secret_post")) {
    return {
      method: "client_secret_post",
      reason: "the IdP lists client_secret_post but not client_secret_basic",
      fallback: "client_secret_basic",
    };
  }
  return {
    method: "client_secret_basic",
    reason: `the IdP lists neither secret method (${supported.join(", ")})`,
    fallback: "client_secret_post",
  };
}

/**
 * Whether a token request failed because the server did not accept the client's credentials in
 * this form: `invalid_client` with 400 or 401, or a 401/403 without an OAuth error body.
 */
export function isClientAuthRejection(err: unknown): err is AuthError {
  if (!(err instanceof AuthError) || err.status === undefined) return false;
  if (err.oauthError === "invalid_client") return err.status === 400 || err.status === 401;
  return err.oauthError === undefined && (err.status === 401 || err.status === 403);
}

/** "HTTP 401 invalid_client: bad secret" */
function outcome(err: AuthError): string {
  const code = err.oauthError ? ` ${err.oauthError}` : "";
  const description = err.description ? `: ${err.description}` : "";
  return `HTTP ${err.status}${code}${description}`;
}

/** Run `call` with the plan's method; on a rejection of an automatic choice, once with the other. */
export async function withClientAuthFallback<T>(
  plan: ClientAuthPlan,
  call: (method: ClientAuth) => Promise<T>,
  onFallback: (from: ClientAuth, to: SecretMethod, status: number) => void,
): Promise<{ result: T; method: ClientAuth }> {
  try {
    return { result: await call(plan.method), method: plan.method };
  } catch (err) {
    if (!plan.fallback || !isClientAuthRejection(err)) throw err;
    const first = err;
    onFallback(plan.method, plan.fallback, first.status!);
    try {
      return { result: await call(plan.fallback), method: plan.fallback };
    } catch (second) {
      if (!isClientAuthRejection(second)) throw second;
      throw new AuthError(
        "CLIENT_AUTH_REJECTED",
        `the IdP rejected the client with both ${plan.method} (${
          outcome(first)
        }) and ${plan.fallback} (${outcome(second)})`,
        {
          hint: `${
            second.hint ?? "check the client id and secret"
          }; if the IdP wants another method, set client_auth in the env's [auth] table`,
          cause: second,
          status: second.status,
          ...(second.oauthError ? { oauthError: second.oauthError } : {}),
        },
      );
    }
  }
}
