/**
 * The development IdP's public interface: its options, the handle `startDevIdp` returns, and
 * the records and faults the tests read and set through it.
 *
 * @module
 */

export interface DevIdpOptions {
  /**
   * The IdP's port on 127.0.0.1; the protected API listens on `port + 1` and the CI issuer's
   * endpoint on `port + 2`. Default 0: three free ports. A taken one is a PortInUseError.
   */
  port?: number;
  /** Lifetime in seconds of access tokens, JWT and opaque alike (default 3600). */
  accessTokenTtl?: number;
  /** Lifetime in seconds of device codes (default 600). */
  deviceCodeTtl?: number;
  /**
   * "oidc" (default): both /.well-known/openid-configuration and the RFC 8414
   * /.well-known/oauth-authorization-server answer. "oauth": only the RFC 8414 one does, the
   * OpenID Connect one answers 404.
   */
  discovery?: "oidc" | "oauth";
  /** Turn on oidc-provider's DPoP (RFC 9449); `requireNonce`: the token endpoint demands nonces. */
  dpop?: { requireNonce?: boolean };
  /**
   * false: discovery offers no `device_authorization_endpoint`, as an IdP without the device flow
   * (default true).
   */
  deviceFlow?: boolean;
}

/** A canned answer for the next token-endpoint POSTs, instead of the real handler. */
export interface TokenFault {
  /** HTTP status, default 500. */
  status?: number;
  /** Response body, default "". */
  body?: string;
  /** Content-Type of the response, default "text/plain; charset=utf-8". */
  contentType?: string;
  /** Wait this long before answering (cut short by close()). */
  delayMs?: number;
  /** How many requests get this answer, default 1; Infinity allowed. */
  times?: number;
}

/** One request received by the protected API. */
export interface ApiRequestRecord {
  method: string;
  path: string;
  /** Query parameters (the last value wins when one is repeated). */
  query: Record<string, string>;
  hasAuthorization: boolean;
  /** The scheme word of the Authorization header ("Bearer", "Basic", …), when there is one. */
  authorizationScheme?: string;
  /** Lower-cased header names; authorization, cookie and the like are "[redacted]". */
  headers: Record<string, string>;
  bodyBytes: number;
}

/** One request received by the GitHub-style OIDC token endpoint. */
export interface GithubTokenRequest {
  method: string;
  path: string;
  /** The `audience` query parameter, when given. */
  audience?: string;
  /** Whether it carried `Authorization: Bearer <requestToken>`. */
  bearerOk: boolean;
}

export interface DevIdpClient {
  id: string;
  secret: string;
}

export interface DevIdpUser {
  username: string;
  password: string;
  sub: string;
  email: string;
  name: string;
}

export interface DevIdp {
  /** "http://127.0.0.1:<port>" */
  issuer: string;
  /** issuer + "/token" */
  tokenUrl: string;
  /** issuer + "/jwks" */
  jwksUri: string;
  /** The protected API's origin, "http://127.0.0.1:<port2>". */
  apiUrl: string;
  /** The API's resource indicator and the `aud` of its JWT access tokens: apiUrl + "/". */
  resource: string;
  /** "urn:lmi:opaque": access tokens issued for this resource are opaque. */
  opaqueResource: string;
  clients: {
    basic: DevIdpClient;
    post: DevIdpClient;
    password: DevIdpClient;
    public: { id: string; redirectUri: string };
    /** Public client for token exchange and jwt-bearer with the CI issuer's tokens. */
    workload: { id: string };
    /** client_credentials client authenticating with a CI token (federated_jwt); no secret. */
    federated: { id: string };
    /** private_key_jwt client (client_credentials): its private key as a PKCS#8 PEM. */
    jwt: { id: string; privateKeyPem: string };
  };
  users: { alice: DevIdpUser };
  /**
   * The CI issuer the IdP trusts for workload identity (token exchange, jwt-bearer, federated
   * client assertions): tokens with `aud` = the issuer (or token URL) and sub "repo:lmi-dev/app:…".
   */
  ci: {
    /** Its `iss`: the GitHub-style endpoint's origin. */
    issuer: string;
    /** A CI token (JWT); default sub the trusted one, default aud GitHub's owner URL. */
    mint(options?: {
      sub?: string;
      aud?: string;
      ttlSeconds?: number;
      claims?: Record<string, unknown>;
    }): Promise<string>;
    /** The GitHub Actions-style OIDC token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN). */
    github: {
      requestUrl: string;
      requestToken: string;
      requests: GithubTokenRequest[];
      /** The next `times` (default 1) requests answer `status`. */
      fail(status: number, times?: number): void;
      reset(): void;
    };
  };
  stats: {
    /** POSTs to the token endpoint, faulted ones included. */
    tokenRequests: number;
    /** The same, per grant_type (requests whose grant_type could not be read are left out). */
    byGrant: Record<string, number>;
    reset(): void;
  };
  faults: {
    /** Answer the next `times` token-endpoint POSTs with `f`; null clears. */
    token(f: TokenFault | null): void;
  };
  api: {
    requests: ApiRequestRecord[];
    /** The next `times` (default 1) requests to token-protected API routes answer 401. */
    fail401(times?: number): void;
    /**
     * DPoP nonces at the API: "once", the next DPoP request without the API's nonce gets
     * `401 use_dpop_nonce`; "always", every DPoP request does (a nonce loop); null, none.
     */
    dpopNonce(mode: "once" | "always" | null): void;
    /** Forget recorded requests and pending forced 401s. */
    reset(): void;
  };
  /** Stops its servers; nothing of the IdP keeps running afterwards. Safe to call twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
