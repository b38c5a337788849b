/**
 * The registered clients: their fixed ids and secrets (not secrets: this IdP only ever runs on
 * loopback), how oidc-provider registers them, and how the `DevIdp` handle hands them out.
 *
 * @module
 */
import { SIGNING_ALG } from "./keys.ts";
import { JWT_BEARER, TOKEN_EXCHANGE } from "./workload.ts";
import type { DevIdp } from "./types.ts";

export const CLIENTS = {
  basic: { id: "svc-basic", secret: "dev-svc-basic-secret-5b0e9c7d2f41a8" },
  post: { id: "svc-post", secret: "dev-svc-post-secret-8a31f6c4e92d07" },
  password: { id: "pw-client", secret: "dev-pw-client-secret-c7d94e1a3b6f25" },
  public: { id: "lmi", redirectUri: "http://127.0.0.1/callback" },
  /** Public client for token exchange and jwt-bearer with CI tokens. */
  workload: { id: "ci-workload" },
  /**
   * client_credentials with a CI token as its client assertion; the secret is the IdP's own, put
   * in by the federated assertion check (workload.ts), never handed out.
   */
  federated: { id: "svc-federated", secret: "dev-idp-internal-federated-2c9a7e41b05d" },
  /** private_key_jwt for client_credentials; its fixed key pair is in keys.ts. */
  jwt: { id: "svc-jwt" },
} as const;

/** The clients' metadata for oidc-provider; `jwtClientKey` is the public JWK of `svc-jwt`. */
export function clientMetadata(jwtClientKey: Record<string, unknown>): Record<string, unknown>[] {
  return [
    {
      client_id: CLIENTS.basic.id,
      client_secret: CLIENTS.basic.secret,
      client_name: "Service client (client_secret_basic)",
      grant_types: ["client_credentials"],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: "client_secret_basic",
    },
    {
      client_id: CLIENTS.post.id,
      client_secret: CLIENTS.post.secret,
      client_name: "Service client (client_secret_post)",
      grant_types: ["client_credentials"],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: "client_secret_post",
    },
    {
      client_id: CLIENTS.jwt.id,
      client_name: "Service client (private_key_jwt)",
      grant_types: ["client_credentials"],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: "private_key_jwt",
      token_endpoint_auth_signing_alg: SIGNING_ALG,
      jwks: { keys: [jwtClientKey] },
    },
    {
      client_id: CLIENTS.password.id,
      client_secret: CLIENTS.password.secret,
      client_name: "Password grant client",
      grant_types: ["password", "refresh_token"],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: "client_secret_basic",
    },
    {
      client_id: CLIENTS.public.id,
      client_name: "lmi",
      application_type: "native",
      token_endpoint_auth_method: "none",
      grant_types: [
        "authorization_code",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
      ],
      response_types: ["code"],
      redirect_uris: [CLIENTS.public.redirectUri],
    },
    {
      client_id: CLIENTS.workload.id,
      client_name: "CI workload (token exchange, jwt-bearer)",
      token_endpoint_auth_method: "none",
      grant_types: [TOKEN_EXCHANGE, JWT_BEARER],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: CLIENTS.federated.id,
      client_secret: CLIENTS.federated.secret,
      client_name: "Service client (federated CI credential)",
      grant_types: ["client_credentials"],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: "client_secret_post",
    },
  ];
}

/** The clients as `DevIdp.clients` (copies), with the private key of `svc-jwt`. */
export function devIdpClients(jwtPrivateKeyPem: string): DevIdp["clients"] {
  return {
    basic: { ...CLIENTS.basic },
    post: { ...CLIENTS.post },
    password: { ...CLIENTS.password },
    public: { ...CLIENTS.public },
    workload: { ...CLIENTS.workload },
    federated: { id: CLIENTS.federated.id },
    jwt: { id: CLIENTS.jwt.id, privateKeyPem: jwtPrivateKeyPem },
  };
}
