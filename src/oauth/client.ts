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
import { ConfigError, LmiError, q } from "../errors.ts";
import type { ResolvedAuth, SecretRef } from "../config/resolve.ts";
import {
  assertSecureEndpoint,
  createTransport,
  type Exchange,
  type Transport,
} from "../http/transport.ts";
import type { Logger } from "../ui/log.ts";
import { MAX_QUOTED_CHARS, toLmiError } from "./errors.ts";
import { describeSetting } from "../config/setting.ts";
import { safeText } from "../ui/text.ts";
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

/** The server's endpoints, as plain data. */
export interface ServerInfo {
  /** The issuer discovery validated (as the IdP spells it): tokens are checked against it. */
  issuer: string;
  token_endpoint: string;
  jwks_uri?: string;
  revocation_endpoint?: string;
  device_authorization_endpoint?: string;
  /** The scopes the metadata says the IdP supports (RFC 8414; it may leave some out). */
  scopes_supported?: string[];
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
    metadata = await discover(lib, auth, customFetch, transport, timeoutMs, log);
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
  const scopes = (metadata as { scopes_supported?: unknown }).scopes_supported;
  if (Array.isArray(scopes) && scopes.every((s) => typeof s === "string")) {
    info.scopes_supported = scopes;
  }
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
  // No config names it: the flag (--issuer) does, so no key or variable to point at.
  const target: DiscoveryTarget = { issuer, type: "sso" };
  const metadata = await discover(lib, target, customFetch, transport, timeoutMs, log);
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

/** What discovery needs of an env's auth (or of `lmi init`'s flags): the issuer and where it was set. */
type DiscoveryTarget = Pick<ResolvedAuth, "issuer" | "issuerSetting" | "type">;

async function discover(
  lib: typeof OpenidClient,
  auth: DiscoveryTarget,
  customFetch: OpenidClient.CustomFetch,
  transport: Transport,
  timeoutMs: number,
  log: Logger,
): Promise<OpenidClient.ServerMetadata> {
  const issuer = auth.issuer!;
  const url = new URL(issuer);
  const execute = url.protocol === "http:" ? [lib.allowInsecureRequests] : [];
  /** The URL of the attempt's request, as openid-client built it (before any redirect). */
  let requested: string | undefined;
  const recording: OpenidClient.CustomFetch = (input, init) => {
    requested = input;
    return customFetch(input, init);
  };
  const attempt = async (algorithm: "oidc" | "oauth2") => {
    requested = undefined;
    try {
      const c = await lib.discovery(url, "lmi", undefined, lib.None(), {
        algorithm,
        execute,
        [lib.customFetch]: recording,
        timeout: Math.ceil(timeoutMs / 1000),
      });
      return c.serverMetadata();
    } catch (err) {
      return issuerSpelledOtherwise(lib, err, issuer) ?? Promise.reject(err);
    }
  };
  // OpenID Connect discovery, then RFC 8414 metadata when the first answer is no document.
  const tried: Tried[] = [];
  for (const algorithm of ["oidc", "oauth2"] as const) {
    try {
      return { ...await attempt(algorithm) };
    } catch (err) {
      const reported = reportedIssuer(lib, err);
      if (reported !== undefined) throw issuerMismatch(auth, reported);
      const answer = requested === undefined
        ? undefined
        : notADocument(err, requested, transport.last());
      if (!answer) throw discoveryError(err, transport);
      tried.push(answer);
      if (algorithm === "oidc") {
        log.info(`no OpenID Connect discovery document at ${issuer}; trying RFC 8414 metadata`);
      }
    }
  }
  throw noDiscoveryDocument(auth, tried);
}

/** A discovery URL that answered with something other than a discovery document. */
interface Tried {
  url: string;
  /** "answered HTTP 404", "answered HTTP 200 with an HTML page"… */
  answer: string;
  /** What the answer suggests the issuer URL points at instead of an IdP. */
  looksLike?: "an API" | "a web site";
}

/**
 * How a discovery request was answered when the answer is not a discovery document (an error
 * status, HTML, JSON without an `issuer`); undefined for any other failure (the network, a
 * server error, a document openid-client refused for another reason), which is reported as is.
 */
function notADocument(err: unknown, url: string, last: Exchange | undefined): Tried | undefined {
  const code = (err as { code?: unknown })?.code;
  if (!last || findsLmiError(err)) return undefined;
  const status = `answered HTTP ${last.status}`;
  switch (code) {
    case "OAUTH_RESPONSE_IS_NOT_CONFORM":
      // A server error is the IdP's trouble, not a wrong URL.
      return last.status >= 500 ? undefined : { url, answer: status };
    case "OAUTH_RESPONSE_IS_NOT_JSON":
      return /^text\/html\b/i.test(last.contentType) || /^\s*</.test(last.body)
        ? { url, answer: `${status} with an HTML page`, looksLike: "a web site" }
        : {
          url,
          answer: `${status} with ${
            last.contentType ? safeText(last.contentType.split(";")[0]!, 60) : "no content type"
          }, not JSON`,
        };
    case "OAUTH_PARSE_ERROR":
      return { url, answer: `${status} with content that is not JSON` };
    case "OAUTH_INVALID_RESPONSE":
      return {
        url,
        answer: `${status} with JSON that is not a discovery document`,
        looksLike: "an API",
      };
    default:
      return undefined;
  }
}

function findsLmiError(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof LmiError) return true;
  }
  return false;
}

/** Where the issuer was set, for a hint: `envs.dev.auth.issuer at /p/lmi.toml:5`, `LMI_ISSUER`. */
function issuerWhere(auth: DiscoveryTarget): string {
  return auth.issuerSetting ? describeSetting(auth.issuerSetting) : "the issuer";
}

/** No discovery document at any of the URLs tried: exit 3, each URL with what it answered. */
function noDiscoveryDocument(auth: DiscoveryTarget, tried: Tried[]): ConfigError {
  const looks = tried.every((t) => t.looksLike !== undefined) ? tried[0]!.looksLike : undefined;
  const what = looks
    ? `the issuer ${auth.issuer} answers like ${looks}, not an IdP`
    : `no discovery document at the issuer ${auth.issuer}`;
  const instead = auth.type === "sso"
    ? ""
    : auth.issuerSetting && "variable" in auth.issuerSetting
    ? "; or set LMI_TOKEN_URL instead"
    : "; or set token_url instead";
  return new ConfigError(
    "NO_DISCOVERY_DOCUMENT",
    `${what}: ${tried.map((t) => `${t.url} ${t.answer}`).join(", ")}`,
    {
      hint: `check ${issuerWhere(auth)}: it must be the issuer the IdP names in its discovery ` +
        `document${instead}`,
    },
  );
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
  const reported = reportedIssuer(lib, err);
  if (reported === undefined || !sameIssuer(reported, issuer)) return undefined;
  return (err as { cause: { body: OpenidClient.ServerMetadata } }).cause.body;
}

/**
 * The issuer a discovery document named when openid-client refused it for not being the
 * configured one (after {@link issuerSpelledOtherwise} let a trailing slash pass); undefined for
 * any other error.
 */
function reportedIssuer(lib: typeof OpenidClient, err: unknown): string | undefined {
  if (!(err instanceof lib.ClientError) || err.code !== "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED") {
    return undefined;
  }
  const cause = err.cause as { attribute?: unknown; body?: unknown } | undefined;
  const body = cause?.body as Record<string, unknown> | undefined;
  if (cause?.attribute !== "issuer" || typeof body?.issuer !== "string") return undefined;
  return body.issuer;
}

/** The IdP names another issuer than the configured one: exit 3, with the one to write. */
function issuerMismatch(auth: DiscoveryTarget, reported: string): ConfigError {
  const named = q(safeText(reported, MAX_QUOTED_CHARS));
  return new ConfigError(
    "ISSUER_MISMATCH",
    `the IdP at ${auth.issuer} says its issuer is ${named}, not ${q(auth.issuer)}`,
    {
      hint: `${
        auth.issuerSetting ? `set ${describeSetting(auth.issuerSetting)} to` : "use"
      } ${named}, the issuer the IdP names (tokens are checked against it)`,
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
