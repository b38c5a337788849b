/**
 * Connecting to an authorization server: endpoint discovery (OpenID Connect discovery, then
 * RFC 8414 metadata) or an explicit token URL, client authentication, and the openid-client
 * configuration every grant uses. openid-client is only imported here and in grants.ts.
 *
 * @module
 */
import { unreadDotenvNote } from "../config/dotenv.ts";
import type { Deps } from "../context.ts";
import { loadOpenidClient, type OpenidClient } from "../deps.ts";
import { AuthError, ConfigError } from "../errors.ts";
import type { ResolvedAuth, SecretRef } from "../config/resolve.ts";
import { assertSecureEndpoint, createTransport, type Transport } from "../http/transport.ts";
import type { Logger } from "../ui/log.ts";
import { toLmiError } from "./errors.ts";
import {
  type ClientAuthPlan,
  clientSecretBasic,
  federatedJwt,
  planClientAuth,
  tlsClientAuth,
} from "./client_auth.ts";
import type { ClientAuth } from "../config/schema.ts";
import { lazyImport } from "../util/lazy.ts";
import { sameIssuer } from "../util/issuer.ts";
import { safeText } from "../ui/text.ts";

/** The server's endpoints, as plain data. */
export interface ServerInfo {
  /** The issuer discovery validated (as the IdP spells it): tokens are checked against it. */
  issuer: string;
  token_endpoint: string;
  jwks_uri?: string;
  revocation_endpoint?: string;
  device_authorization_endpoint?: string;
}

export interface Connection {
  lib: typeof OpenidClient;
  config: OpenidClient.Configuration;
  server: ServerInfo;
  transport: Transport;
  /** For notes about the IdP's answers (-v). */
  log: Logger;
}

export interface ConnectOptions {
  deps: Pick<Deps, "fetch" | "now">;
  log: Logger;
  timeoutMs: number;
}

/** The secret value of a reference, or a ConfigError naming the variable. */
export function requireSecret(ref: SecretRef | undefined, what: string, envName: string): string {
  if (ref?.value) return ref.value;
  const variable = ref?.variable ?? "?";
  const unread = unreadDotenvNote(ref?.unreadDotenv ?? []);
  throw new ConfigError(
    "SECRET_MISSING",
    `${what} variable ${variable} is not set or empty (env ${JSON.stringify(envName)})`,
    {
      hint: `set ${variable} in the environment or in a .env / .env.${envName} file beside the ` +
        `config${unread}`,
    },
  );
}

/** Where the server's endpoints are: discovered from the issuer, or the explicit token_url. */
export interface Server {
  lib: typeof OpenidClient;
  metadata: OpenidClient.ServerMetadata;
  info: ServerInfo;
  transport: Transport;
  customFetch: OpenidClient.CustomFetch;
  log: Logger;
}

/** Find the server's endpoints (no client secret needed). */
export async function resolveServer(
  auth: ResolvedAuth,
  envName: string,
  options: ConnectOptions,
): Promise<Server> {
  const { deps, log, timeoutMs } = options;
  if (!auth.issuer && !auth.tokenUrl) {
    throw new ConfigError(
      "CONFIG_INCOMPLETE",
      `env ${JSON.stringify(envName)} has neither auth.issuer nor auth.token_url`,
      {
        hint:
          "set issuer (for discovery) or token_url in the env's [auth] table (or LMI_ISSUER / LMI_TOKEN_URL)",
      },
    );
  }
  if (auth.issuer) assertSecureEndpoint(auth.issuer, "issuer");
  if (auth.tokenUrl) assertSecureEndpoint(auth.tokenUrl, "token_url");
  if (auth.revocationUrl) assertSecureEndpoint(auth.revocationUrl, "revocation_url");
  const lib = await loadOpenidClient();
  const transport = createTransport(deps, { timeoutMs, log });
  const customFetch =
    ((url: string, init: RequestInit) => transport.fetch(url, init)) as OpenidClient.CustomFetch;
  let metadata: OpenidClient.ServerMetadata;
  if (auth.issuer) {
    metadata = await discover(lib, auth.issuer, customFetch, transport, timeoutMs, log);
    if (metadata.issuer !== auth.issuer) {
      log.info(
        `the IdP names its issuer ${metadata.issuer} (the config: ${auth.issuer}); tokens are checked against the IdP's`,
      );
    }
    if (auth.clientCert) metadata = withMtlsAliases(metadata, log);
    if (auth.tokenUrl) metadata = { ...metadata, token_endpoint: auth.tokenUrl };
  } else {
    metadata = { issuer: new URL(auth.tokenUrl!).origin, token_endpoint: auth.tokenUrl! };
  }
  if (auth.revocationUrl) metadata = { ...metadata, revocation_endpoint: auth.revocationUrl };
  if (!metadata.token_endpoint) {
    throw new ConfigError(
      "CONFIG_INCOMPLETE",
      `the IdP's metadata for ${auth.issuer} has no token_endpoint`,
      {
        hint: "set token_url in the env's [auth] table",
      },
    );
  }
  assertSecureEndpoint(metadata.token_endpoint, "token endpoint");
  const info: ServerInfo = { issuer: metadata.issuer, token_endpoint: metadata.token_endpoint };
  if (metadata.jwks_uri && auth.issuer) info.jwks_uri = metadata.jwks_uri;
  if (metadata.revocation_endpoint) info.revocation_endpoint = metadata.revocation_endpoint;
  if (metadata.device_authorization_endpoint) {
    info.device_authorization_endpoint = metadata.device_authorization_endpoint;
  }
  return { lib, metadata, info, transport, customFetch, log };
}

/** Client authentication for a given method, with the secrets already checked. */
export type ClientAuthFactory = (
  lib: typeof OpenidClient,
  method: ClientAuth,
) => OpenidClient.ClientAuth;

/**
 * Check that the client can authenticate (id and secrets present) before any network call.
 * `subjectToken` gives the workload's token for `client_auth = "federated_jwt"`.
 */
export async function prepareClientAuth(
  auth: ResolvedAuth,
  envName: string,
  subjectToken?: () => Promise<string>,
): Promise<ClientAuthFactory> {
  if (!auth.clientId) {
    throw new ConfigError(
      "CONFIG_INCOMPLETE",
      `env ${JSON.stringify(envName)} has no auth.client_id`,
      {
        hint: "set client_id in the env's [auth] table (or LMI_CLIENT_ID)",
      },
    );
  }
  return await clientAuthentication(auth, envName, subjectToken);
}

/** How the client authenticates at `server`: configured, remembered, or from its metadata. */
export function clientAuthPlan(
  auth: ResolvedAuth,
  server: Server,
  remembered?: string,
): ClientAuthPlan {
  return planClientAuth(
    auth.clientAuth,
    server.metadata.token_endpoint_auth_methods_supported,
    remembered,
  );
}

/** A client configuration for grants at `server`, authenticating with `method`. */
export function connect(
  auth: ResolvedAuth,
  server: Server,
  clientAuth: ClientAuthFactory,
  timeoutMs: number,
  method: ClientAuth = auth.clientAuth === "auto" ? "client_secret_basic" : auth.clientAuth,
): Connection {
  const { lib, metadata, customFetch } = server;
  const config = new lib.Configuration(
    metadata,
    auth.clientId!,
    undefined,
    clientAuth(lib, method),
  );
  config[lib.customFetch] = customFetch;
  config.timeout = Math.ceil(timeoutMs / 1000);
  const insecure = (u: string | undefined) => u !== undefined && new URL(u).protocol === "http:";
  if ([metadata.token_endpoint, auth.issuer, auth.revocationUrl].some(insecure)) {
    lib.allowInsecureRequests(config); // loopback only: assertSecureEndpoint refused the rest
  }
  return { lib, config, server: server.info, transport: server.transport, log: server.log };
}

/** Endpoints that have an mTLS alias (RFC 8705 §5). */
const MTLS_ALIASED = [
  "token_endpoint",
  "revocation_endpoint",
  "device_authorization_endpoint",
] as const;

/**
 * The metadata with the endpoints a client presenting a certificate uses: the
 * `mtls_endpoint_aliases` of RFC 8705 §5, where the server gives them.
 */
export function withMtlsAliases(
  metadata: OpenidClient.ServerMetadata,
  log: Logger,
): OpenidClient.ServerMetadata {
  const aliases = metadata.mtls_endpoint_aliases as Record<string, unknown> | undefined;
  if (typeof aliases !== "object" || aliases === null) return metadata;
  const out = { ...metadata };
  for (const key of MTLS_ALIASED) {
    const alias = aliases[key];
    if (typeof alias !== "string" || !alias || alias === out[key]) continue;
    assertSecureEndpoint(alias, `mtls_endpoint_aliases.${key}`);
    log.info(`using the IdP's mTLS alias for ${key}: ${alias}`);
    out[key] = alias;
  }
  return out;
}

/** What an IdP's discovery document says, as plain data (the fields lmi reads besides endpoints). */
export interface IdpMetadata {
  /** The issuer as the IdP spells it (the same as the one asked for, but for a trailing slash). */
  issuer: string;
  token_endpoint?: string;
  authorization_endpoint?: string;
  device_authorization_endpoint?: string;
  grant_types_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  scopes_supported?: string[];
}

/**
 * The discovery document of `issuer` (OpenID Connect discovery, then RFC 8414 metadata when the
 * former is not found), fetched as every command does: lmi's transport (timeout, -vv logging),
 * plain http refused but for loopback. Lists that are not lists of strings are left out.
 */
export async function discoverIssuer(
  issuer: string,
  options: ConnectOptions,
): Promise<IdpMetadata> {
  const { deps, log, timeoutMs } = options;
  assertSecureEndpoint(issuer, "issuer");
  const lib = await loadOpenidClient();
  const transport = createTransport(deps, { timeoutMs, log });
  const customFetch =
    ((url: string, init: RequestInit) => transport.fetch(url, init)) as OpenidClient.CustomFetch;
  const metadata = await discover(lib, issuer, customFetch, transport, timeoutMs, log);
  const m = metadata as Record<string, unknown>;
  const text = (key: string) => typeof m[key] === "string" ? { [key]: m[key] } : {};
  const list = (key: string) =>
    Array.isArray(m[key]) && (m[key] as unknown[]).every((x) => typeof x === "string")
      ? { [key]: m[key] }
      : {};
  return {
    issuer: metadata.issuer,
    ...text("token_endpoint"),
    ...text("authorization_endpoint"),
    ...text("device_authorization_endpoint"),
    ...list("grant_types_supported"),
    ...list("token_endpoint_auth_methods_supported"),
    ...list("scopes_supported"),
  } as IdpMetadata;
}

async function discover(
  lib: typeof OpenidClient,
  issuer: string,
  customFetch: OpenidClient.CustomFetch,
  transport: Transport,
  timeoutMs: number,
  log: Logger,
): Promise<OpenidClient.ServerMetadata> {
  const url = new URL(issuer);
  const execute = url.protocol === "http:" ? [lib.allowInsecureRequests] : [];
  const attempt = async (algorithm: "oidc" | "oauth2") => {
    try {
      const c = await lib.discovery(url, "lmi", undefined, lib.None(), {
        algorithm,
        execute,
        [lib.customFetch]: customFetch,
        timeout: Math.ceil(timeoutMs / 1000),
      });
      return c.serverMetadata();
    } catch (err) {
      return issuerSpelledOtherwise(lib, err, issuer) ?? Promise.reject(err);
    }
  };
  try {
    return { ...await attempt("oidc") };
  } catch (err) {
    if (transport.last()?.status !== 404) throw discoveryError(err, transport);
    log.info(`no OpenID Connect discovery document at ${issuer}; trying RFC 8414 metadata`);
  }
  try {
    return { ...await attempt("oauth2") };
  } catch (err) {
    throw discoveryError(err, transport);
  }
}

/**
 * The discovered metadata when openid-client refused it only because its issuer differs from
 * the configured one by a trailing slash (`https://h/realm/` for `https://h/realm`; a bare
 * origin gets one from URL parsing, so openid-client already takes that either way): the same
 * issuer to lmi (DESIGN.md → Tokens). Undefined for any other error; an AuthError naming the
 * IdP's issuer when the document names another one.
 */
function issuerSpelledOtherwise(
  lib: typeof OpenidClient,
  err: unknown,
  issuer: string,
): OpenidClient.ServerMetadata | undefined {
  // oauth4webapi's JSON_ATTRIBUTE_COMPARISON code (openid-client does not re-export it).
  if (!(err instanceof lib.ClientError) || err.code !== "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED") {
    return undefined;
  }
  const cause = err.cause as { attribute?: unknown; body?: unknown } | undefined;
  const body = cause?.body as Record<string, unknown> | undefined;
  if (cause?.attribute !== "issuer" || typeof body?.issuer !== "string") return undefined;
  if (sameIssuer(body.issuer, issuer)) return body as OpenidClient.ServerMetadata;
  const named = safeText(body.issuer, 200);
  throw new AuthError(
    "ISSUER_MISMATCH",
    `the discovery document of ${issuer} names another issuer: ${JSON.stringify(named)}`,
    {
      hint: `the issuer is the URL the IdP names; if ${named} is the IdP you mean, use that`,
      cause: err,
    },
  );
}

function discoveryError(err: unknown, transport: Transport) {
  return toLmiError(err, {
    what: "discovery request",
    last: transport.last(),
  });
}

async function clientAuthentication(
  auth: ResolvedAuth,
  envName: string,
  subjectToken: (() => Promise<string>) | undefined,
): Promise<ClientAuthFactory> {
  switch (auth.clientAuth) {
    case "auto":
    case "client_secret_basic":
    case "client_secret_post": {
      const secret = requireSecret(auth.clientSecret, "client secret", envName);
      return (lib, method) =>
        method === "client_secret_post" ? lib.ClientSecretPost(secret) : clientSecretBasic(secret);
    }
    case "none":
      return (lib) => lib.None();
    case "private_key_jwt":
      return await privateKeyJwt(auth, envName);
    case "federated_jwt": {
      if (!subjectToken) {
        throw new ConfigError(
          "CLIENT_AUTH_UNSUPPORTED",
          `client_auth = "federated_jwt" is not available here (env ${JSON.stringify(envName)})`,
          { hint: "federated_jwt is for service tokens (client_credentials)" },
        );
      }
      const assertion = await subjectToken();
      return () => federatedJwt(assertion);
    }
    case "tls_client_auth":
    case "self_signed_tls_client_auth":
      if (!auth.clientCert) {
        throw new ConfigError(
          "CONFIG_INCOMPLETE",
          `client_auth = ${JSON.stringify(auth.clientAuth)} needs a client certificate (env ${
            JSON.stringify(envName)
          })`,
          {
            hint:
              "set client_cert_file and client_key_file (or client_key_env) in the env's [auth] table",
          },
        );
      }
      return () => tlsClientAuth();
  }
}

async function privateKeyJwt(auth: ResolvedAuth, envName: string): Promise<ClientAuthFactory> {
  const { importPrivateKey } = await lazyImport<typeof import("./private_key.ts")>(
    "./private_key.ts",
    import.meta.url,
  );
  const key = await importPrivateKey(
    requireSecret(auth.privateKey, "private key", envName),
    auth.privateKey!.variable,
  );
  return (lib) => lib.PrivateKeyJwt(key);
}
