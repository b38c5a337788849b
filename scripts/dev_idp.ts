/**
 * The development identity provider: a real OpenID Connect / OAuth 2.0 server (oidc-provider,
 * in this process, on 127.0.0.1) and a small protected JSON API that checks its JWT access
 * tokens. Used by the demo and by every integration and end-to-end test.
 *
 * Library use: `const idp = await startDevIdp(); … await idp.close();` (or `await using`).
 * On its own: `deno run -A scripts/dev_idp.ts [--access-token-ttl N] [--discovery oidc|oauth]`
 * prints the endpoints, clients and user as JSON and serves until SIGINT or SIGTERM.
 *
 * What it offers:
 * - clients `svc-basic` (client_secret_basic) and `svc-post` (client_secret_post) for
 *   client_credentials; `pw-client` (client_secret_basic) for the password grant (added here,
 *   oidc-provider has none) and refresh_token; `lmi`, a public native client for
 *   authorization_code with PKCE, refresh_token and the device flow.
 * - JWT access tokens (ES256, keys at `jwks_uri`) for the resource `apiUrl + "/"`, which is also
 *   the default when a request names none; opaque ones for the resource `urn:lmi:opaque`. An
 *   `audience` form parameter naming one of these two acts as `resource`; other unknown
 *   parameters are ignored.
 * - a login page for the browser flows (`alice` and her password), consent given automatically.
 * - counters of token requests (`stats`), injected token-endpoint faults (`faults`), a record of
 *   the API's requests and forced 401s (`api`).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash, timingSafeEqual } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { jose, oidcErrors, Provider } from "./deps.ts";

// ---------------------------------------------------------------------------------------------
// Public interface

export interface DevIdpOptions {
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
    /** private_key_jwt client (client_credentials): its private key as a PKCS#8 PEM. */
    jwt: { id: string; privateKeyPem: string };
  };
  users: { alice: DevIdpUser };
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
    /** Forget recorded requests and pending forced 401s. */
    reset(): void;
  };
  /** Stops both servers; nothing of the IdP keeps running afterwards. Safe to call twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Fixed development identities (not secrets: this IdP only ever runs on loopback)

const CLIENTS = {
  basic: { id: "svc-basic", secret: "dev-svc-basic-secret-5b0e9c7d2f41a8" },
  post: { id: "svc-post", secret: "dev-svc-post-secret-8a31f6c4e92d07" },
  password: { id: "pw-client", secret: "dev-pw-client-secret-c7d94e1a3b6f25" },
  public: { id: "lmi", redirectUri: "http://127.0.0.1/callback" },
} as const;

const ALICE: DevIdpUser = {
  username: "alice",
  password: "alice-dev-password-4e7a19",
  sub: "user-alice-0001",
  email: "alice@example.com",
  name: "Alice Example",
};

const OPAQUE_RESOURCE = "urn:lmi:opaque";
const API_SCOPE = "api.read api.write";
const SCOPES = ["openid", "profile", "email", "offline_access", "api.read", "api.write"];
const COOKIE_KEYS = ["lmi-dev-idp-cookie-key-1-not-a-secret"];
const SIGNING_ALG = "ES256";
const MAX_DELAY_MS = 10 * 60 * 1000;

// ---------------------------------------------------------------------------------------------
// The parts of oidc-provider's (untyped) API used here

type Params = Record<string, string | undefined>;

interface OidcClient {
  clientId: string;
  scope?: string;
  grantTypeAllowed(grantType: string): boolean;
}

interface OidcContext {
  client: OidcClient;
  params: Params;
  body?: Record<string, unknown>;
  entity(name: string, value: unknown): void;
}

interface KoaContext {
  method: string;
  path: string;
  req: http.IncomingMessage;
  res: http.ServerResponse;
  status: number;
  body: unknown;
  type: string;
  oidc?: OidcContext;
  set(field: string, value: string): void;
  redirect(url: string): void;
}

type Next = () => Promise<void>;

interface ResourceServerInfo {
  scope: string;
  audience?: string;
  accessTokenFormat: "jwt" | "opaque";
  accessTokenTTL: number;
  jwt?: { sign: { alg: string } };
}

interface ResourceServerModel {
  scopes: Set<string>;
}

interface TokenModel {
  scope?: string;
  expiration: number;
  tokenType: string;
  resourceServer?: ResourceServerModel & { accessTokenTTL?: number };
  save(): Promise<string>;
}

interface GrantModel {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}

interface InteractionDetails {
  uid: string;
  grantId?: string;
  params: Params;
  session?: { accountId?: string };
  prompt: {
    name: string;
    details: {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
  };
}

interface OidcProvider {
  ResourceServer: new (identifier: string, info: ResourceServerInfo) => ResourceServerModel;
  Grant: {
    new (init: { accountId: string; clientId: string }): GrantModel;
    find(id: string): Promise<GrantModel | undefined>;
  };
  AccessToken: new (init: Record<string, unknown>) => TokenModel;
  RefreshToken: new (init: Record<string, unknown>) => TokenModel;
  Client: { find(id: string): Promise<{ clientName?: string } | undefined> };
  use(middleware: (ctx: KoaContext, next: Next) => Promise<void>): void;
  registerGrantType(
    name: string,
    handler: (ctx: KoaContext & { oidc: OidcContext }) => Promise<void>,
    params: string[],
  ): void;
  callback(): (req: http.IncomingMessage, res: http.ServerResponse) => void;
  interactionDetails(
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<InteractionDetails>;
  interactionResult(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<string>;
}

interface OidcError extends Error {
  error_description?: string;
}

interface OidcErrors {
  InvalidGrant: new () => OidcError;
  InvalidRequest: new (description: string) => OidcError;
  InvalidTarget: new (description?: string) => OidcError;
  UnauthorizedClient: new (description: string) => OidcError;
}

const errors = oidcErrors as OidcErrors;

// ---------------------------------------------------------------------------------------------
// Storage: one in-memory store per IdP (oidc-provider's adapter interface)

interface StoredEntry {
  payload: Record<string, unknown>;
  expiresAt: number | undefined;
}

class Store {
  entries = new Map<string, StoredEntry>();
  uids = new Map<string, string>();
  userCodes = new Map<string, string>();
  #writes = 0;

  sweep(): void {
    if (++this.#writes % 500 !== 0) return;
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}

class StoreAdapter {
  constructor(private readonly store: Store, private readonly model: string) {}

  #key(id: string): string {
    return `${this.model}:${id}`;
  }

  upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
    this.store.sweep();
    const expiresAt = typeof expiresIn === "number" ? Date.now() + expiresIn * 1000 : undefined;
    this.store.entries.set(this.#key(id), { payload: { ...payload }, expiresAt });
    if (this.model === "Session" && typeof payload.uid === "string") {
      this.store.uids.set(payload.uid, id);
    }
    if (typeof payload.userCode === "string") this.store.userCodes.set(payload.userCode, id);
    return Promise.resolve();
  }

  find(id: string): Promise<Record<string, unknown> | undefined> {
    const key = this.#key(id);
    const entry = this.store.entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.store.entries.delete(key);
      return Promise.resolve(undefined);
    }
    return Promise.resolve(entry?.payload);
  }

  findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
    const id = this.store.uids.get(uid);
    return id === undefined ? Promise.resolve(undefined) : this.find(id);
  }

  findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
    const id = this.store.userCodes.get(userCode);
    return id === undefined ? Promise.resolve(undefined) : this.find(id);
  }

  consume(id: string): Promise<void> {
    const entry = this.store.entries.get(this.#key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
    return Promise.resolve();
  }

  destroy(id: string): Promise<void> {
    this.store.entries.delete(this.#key(id));
    return Promise.resolve();
  }

  revokeByGrantId(grantId: string): Promise<void> {
    const prefix = `${this.model}:`;
    for (const [key, entry] of this.store.entries) {
      if (key.startsWith(prefix) && entry.payload.grantId === grantId) {
        this.store.entries.delete(key);
      }
    }
    return Promise.resolve();
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Resolves after `ms`, or at once when `signal` aborts; leaves no timer behind either way. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

async function readNodeBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString("utf8");
}

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const REDACTED_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
]);

function redactedHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = REDACTED_HEADERS.has(name) ? "[redacted]" : value;
  });
  return out;
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

function positiveInt(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${what} must be a positive integer, got ${value}`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// The IdP

export async function startDevIdp(options: DevIdpOptions = {}): Promise<DevIdp> {
  const accessTokenTtl = positiveInt(options.accessTokenTtl ?? 3600, "accessTokenTtl");
  const discovery = options.discovery ?? "oidc";
  if (discovery !== "oidc" && discovery !== "oauth") {
    throw new RangeError(`discovery must be "oidc" or "oauth", got ${String(discovery)}`);
  }

  const closing = new AbortController();
  const apiState: ApiState = { requests: [], fail401: 0 };
  const byGrant: Record<string, number> = {};
  const stats = {
    tokenRequests: 0,
    byGrant,
    reset() {
      stats.tokenRequests = 0;
      for (const key of Object.keys(byGrant)) delete byGrant[key];
    },
  };
  let fault: (Required<Omit<TokenFault, "times">> & { remaining: number }) | null = null;

  // 1. The protected API first: its origin names the resource the IdP issues tokens for.
  const api = await startApi(apiState, closing.signal);
  const apiUrl = `http://127.0.0.1:${api.port}`;
  const resource = `${apiUrl}/`;

  // 2. The IdP's HTTP server, listening before the provider exists (the issuer needs the port).
  const late: { handler?: (req: http.IncomingMessage, res: http.ServerResponse) => void } = {};
  const server = http.createServer((req, res) => {
    if (late.handler) return late.handler(req, res);
    res.statusCode = 503;
    res.end();
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    await api.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const jwtClient = await clientKeyPair();
  const jwksUri = `${issuer}/jwks`;
  const jwks = jose.createRemoteJWKSet(new URL(jwksUri));
  apiState.verify = async (token) =>
    (await jose.jwtVerify(token, jwks, { issuer, audience: resource })).payload;

  let provider: OidcProvider;
  try {
    provider = await createProvider({
      issuer,
      resource,
      accessTokenTtl,
      deviceCodeTtl: positiveInt(options.deviceCodeTtl ?? 600, "deviceCodeTtl"),
      jwtClientKey: jwtClient.publicJwk,
    });
  } catch (err) {
    await closeNodeServer(server);
    await api.close();
    throw err;
  }

  // 3. What the tests need around it: counters, faults, discovery mode, the login page.
  provider.use(async (ctx, next) => {
    if (ctx.method === "POST" && ctx.path === "/token") {
      stats.tokenRequests++;
      if (fault && fault.remaining > 0) {
        const f = fault;
        if (--f.remaining <= 0) fault = null;
        const body = await readNodeBody(ctx.req).catch(() => "");
        const grantType = new URLSearchParams(body).get("grant_type");
        if (grantType) byGrant[grantType] = (byGrant[grantType] ?? 0) + 1;
        await sleep(f.delayMs, closing.signal);
        ctx.status = f.status;
        ctx.body = f.body;
        ctx.set("Content-Type", f.contentType);
        return;
      }
      try {
        await next();
      } finally {
        const grantType = ctx.oidc?.body?.grant_type;
        if (typeof grantType === "string" && grantType) {
          byGrant[grantType] = (byGrant[grantType] ?? 0) + 1;
        }
      }
      return;
    }
    if (discovery === "oauth" && ctx.path === "/.well-known/openid-configuration") {
      ctx.status = 404;
      ctx.body = { error: "not_found", error_description: "this IdP offers RFC 8414 only" };
      return;
    }
    if (ctx.path.startsWith("/interaction/")) {
      await interaction(provider, ctx);
      return;
    }
    await next();
  });
  late.handler = provider.callback();

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing.abort();
      await Promise.all([closeNodeServer(server), api.close()]);
    })();
    return closed;
  };

  return {
    issuer,
    tokenUrl: `${issuer}/token`,
    jwksUri,
    apiUrl,
    resource,
    opaqueResource: OPAQUE_RESOURCE,
    clients: {
      basic: { ...CLIENTS.basic },
      post: { ...CLIENTS.post },
      password: { ...CLIENTS.password },
      public: { ...CLIENTS.public },
      jwt: { id: JWT_CLIENT_ID, privateKeyPem: jwtClient.privateKeyPem },
    },
    users: { alice: { ...ALICE } },
    stats,
    faults: {
      token(f: TokenFault | null) {
        if (f === null) {
          fault = null;
          return;
        }
        const status = f.status ?? 500;
        if (!Number.isInteger(status) || status < 200 || status > 599) {
          throw new RangeError(`fault status must be 200-599, got ${status}`);
        }
        const times = f.times ?? 1;
        const delayMs = f.delayMs ?? 0;
        if (!(delayMs >= 0 && delayMs <= MAX_DELAY_MS)) {
          throw new RangeError(`fault delayMs must be 0-${MAX_DELAY_MS}, got ${delayMs}`);
        }
        fault = times > 0
          ? {
            status,
            body: f.body ?? "",
            contentType: f.contentType ?? "text/plain; charset=utf-8",
            delayMs,
            remaining: times,
          }
          : null;
      },
    },
    api: {
      requests: apiState.requests,
      fail401(times = 1) {
        apiState.fail401 = Math.max(0, times);
      },
      reset() {
        apiState.requests.length = 0;
        apiState.fail401 = 0;
      },
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

function closeNodeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

interface ProviderSetup {
  issuer: string;
  resource: string;
  accessTokenTtl: number;
  /** Public key of the private_key_jwt client. */
  jwtClientKey: Record<string, unknown>;
  deviceCodeTtl: number;
}

const JWT_CLIENT_ID = "svc-jwt";

/** A key pair for the private_key_jwt client: the public JWK registered, the PEM handed out. */
async function clientKeyPair(): Promise<
  { publicJwk: Record<string, unknown>; privateKeyPem: string }
> {
  const { publicKey, privateKey } = await jose.generateKeyPair(SIGNING_ALG, { extractable: true });
  const publicJwk = { ...await jose.exportJWK(publicKey), alg: SIGNING_ALG, use: "sig" };
  return { publicJwk, privateKeyPem: await jose.exportPKCS8(privateKey) };
}

async function createProvider(setup: ProviderSetup): Promise<OidcProvider> {
  const { issuer, resource, accessTokenTtl, jwtClientKey, deviceCodeTtl } = setup;
  const { privateKey } = await jose.generateKeyPair(SIGNING_ALG, { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  jwk.kid = await jose.calculateJwkThumbprint(jwk);
  jwk.alg = SIGNING_ALG;
  jwk.use = "sig";

  const store = new Store();

  /** The resource a request means: `resource` itself, or the API with or without the slash. */
  const canonicalResource = (value: unknown): string | undefined => {
    if (typeof value !== "string") return undefined;
    if (value === OPAQUE_RESOURCE) return value;
    return URL.parse(value)?.href === resource ? resource : undefined;
  };

  const resourceServerInfo = (indicator: string): ResourceServerInfo => {
    const canonical = canonicalResource(indicator);
    if (canonical === resource) {
      return {
        scope: API_SCOPE,
        audience: resource,
        accessTokenFormat: "jwt",
        accessTokenTTL: accessTokenTtl,
        jwt: { sign: { alg: SIGNING_ALG } },
      };
    }
    if (canonical === OPAQUE_RESOURCE) {
      return { scope: API_SCOPE, accessTokenFormat: "opaque", accessTokenTTL: accessTokenTtl };
    }
    throw new errors.InvalidTarget(`unknown resource ${indicator}`);
  };

  /** With no `resource` parameter: an `audience` naming a known resource, else the API. */
  const defaultResource = (ctx: KoaContext | undefined): string => {
    const audience = canonicalResource(ctx?.oidc?.body?.audience);
    return audience ?? resource;
  };

  const findUser = (sub: string) => sub === ALICE.sub ? ALICE : undefined;
  const account = (user: DevIdpUser) => ({
    accountId: user.sub,
    claims: () =>
      Promise.resolve({
        sub: user.sub,
        name: user.name,
        email: user.email,
        email_verified: true,
        preferred_username: user.username,
      }),
  });

  const tokenTtl = (_ctx: unknown, token: TokenModel) =>
    token.resourceServer?.accessTokenTTL ?? accessTokenTtl;

  const provider = new Provider(issuer, {
    adapter: (model: string) => new StoreAdapter(store, model),
    jwks: { keys: [jwk] },
    cookies: { keys: COOKIE_KEYS },
    clients: [
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
        client_id: JWT_CLIENT_ID,
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
    ],
    clientDefaults: { id_token_signed_response_alg: SIGNING_ALG },
    scopes: SCOPES,
    claims: {
      openid: ["sub"],
      profile: ["name", "preferred_username"],
      email: ["email", "email_verified"],
    },
    findAccount: (_ctx: unknown, sub: string) => {
      const user = findUser(sub);
      return Promise.resolve(user ? account(user) : undefined);
    },
    features: {
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
      revocation: { enabled: true },
      deviceFlow: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx: KoaContext, _client: unknown, oneOf?: string[]) =>
          Promise.resolve(oneOf ?? defaultResource(ctx)),
        useGrantedResource: () => Promise.resolve(true),
        getResourceServerInfo: (_ctx: unknown, indicator: string) =>
          Promise.resolve(resourceServerInfo(indicator)),
      },
    },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    pkce: {
      required: (_ctx: unknown, client: { clientAuthMethod: string }) =>
        client.clientAuthMethod === "none",
    },
    // Every client allowed refresh_token gets one (no offline_access/prompt=consent dance), and
    // it is replaced on every use.
    issueRefreshToken: (_ctx: unknown, client: OidcClient) =>
      Promise.resolve(client.grantTypeAllowed("refresh_token")),
    rotateRefreshToken: true,
    expiresWithSession: () => Promise.resolve(false),
    clientBasedCORS: () => true,
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

  provider.registerGrantType(
    "password",
    (ctx) =>
      passwordGrant(provider, ctx, {
        resource: (value) => value === undefined ? defaultResource(ctx) : value,
        resourceServerInfo,
        canonicalResource,
      }),
    ["username", "password", "scope", "resource", "audience"],
  );

  return provider;
}

interface PasswordGrantHelpers {
  resource(requested: string | undefined): string;
  resourceServerInfo(indicator: string): ResourceServerInfo;
  canonicalResource(value: unknown): string | undefined;
}

/** The resource owner password credentials grant (RFC 6749 §4.3), which oidc-provider lacks. */
async function passwordGrant(
  provider: OidcProvider,
  ctx: KoaContext & { oidc: OidcContext },
  helpers: PasswordGrantHelpers,
): Promise<void> {
  const { client, params } = ctx.oidc;
  if (client.clientId !== CLIENTS.password.id) {
    throw new errors.UnauthorizedClient("this client may not use the password grant");
  }
  const { username, password } = params;
  if (!username || !password) {
    throw new errors.InvalidRequest("missing required parameter(s): username and password");
  }
  const user = username === ALICE.username ? ALICE : undefined;
  // Compare even for an unknown user, so both failures take the same time.
  const passwordOk = sameSecret(password, user?.password ?? ALICE.password);
  if (!user || !passwordOk) {
    const err = new errors.InvalidGrant();
    err.error_description = "invalid username or password";
    throw err;
  }

  const indicator = helpers.resource(params.resource);
  const info = helpers.resourceServerInfo(indicator); // throws invalid_target when unknown
  const resourceId = helpers.canonicalResource(indicator) ?? indicator;
  const resourceServer = new provider.ResourceServer(resourceId, info);

  const allowed = new Set(client.scope ? client.scope.split(" ") : SCOPES);
  const requested = [...new Set((params.scope ?? "").split(" ").filter(Boolean))];
  const granted = requested.filter((s) => allowed.has(s) && SCOPES.includes(s));
  const apiScopes = granted.filter((s) => resourceServer.scopes.has(s));
  const oidcScopes = granted.filter((s) => !resourceServer.scopes.has(s));

  const grant = new provider.Grant({ accountId: user.sub, clientId: client.clientId });
  if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(" "));
  if (apiScopes.length) grant.addResourceScope(resourceId, apiScopes.join(" "));
  const grantId = await grant.save();
  ctx.oidc.entity("Grant", grant);

  const at = new provider.AccessToken({
    accountId: user.sub,
    client,
    grantId,
    gty: "password",
    scope: apiScopes.join(" ") || undefined,
  });
  at.resourceServer = resourceServer;
  ctx.oidc.entity("AccessToken", at);
  const accessToken = await at.save();

  const rt = new provider.RefreshToken({
    accountId: user.sub,
    client,
    grantId,
    gty: "password",
    resource: resourceId,
    scope: granted.join(" ") || undefined,
    rotations: 0,
  });
  ctx.oidc.entity("RefreshToken", rt);
  const refreshToken = await rt.save();

  const body: Record<string, unknown> = {
    access_token: accessToken,
    token_type: at.tokenType,
    expires_in: at.expiration,
    refresh_token: refreshToken,
  };
  if (at.scope) body.scope = at.scope;
  ctx.body = body;
}

/**
 * The browser part of the authorization code and device flows: a login form for the dev users;
 * consent is given automatically for whatever the client asked.
 *   GET  /interaction/:uid        login form (or, at the consent step, straight back to the IdP)
 *   POST /interaction/:uid/login  username + password
 *   GET  /interaction/:uid/abort  access_denied
 */
async function interaction(provider: OidcProvider, ctx: KoaContext): Promise<void> {
  const match = /^\/interaction\/([\w-]+)(\/login|\/abort)?$/.exec(ctx.path);
  if (!match) {
    ctx.status = 404;
    ctx.body = { error: "not_found" };
    return;
  }
  const [, uid, action] = match;
  let details: InteractionDetails;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    ctx.status = 400;
    ctx.type = "html";
    ctx.body = page("Sign-in", `<p>${escapeHtml((err as Error).message)}</p>`);
    return;
  }
  const finish = async (result: Record<string, unknown>, merge: boolean) => {
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
      mergeWithLastSubmission: merge,
    });
    ctx.redirect(returnTo);
    ctx.status = 303;
  };

  if (action === "/abort" && ctx.method === "GET") {
    return await finish(
      { error: "access_denied", error_description: "End-User aborted interaction" },
      false,
    );
  }

  if (details.prompt.name === "consent" && !action && ctx.method === "GET") {
    const { params, session, prompt } = details;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({
        accountId: session?.accountId ?? "",
        clientId: params.client_id ?? "",
      });
    if (!grant) throw new Error("grant of the interaction not found");
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(" "));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(" "));
    }
    return await finish({ consent: { grantId: await grant.save() } }, true);
  }

  if (details.prompt.name !== "login") {
    ctx.status = 501;
    ctx.body = { error: "not_implemented", error_description: details.prompt.name };
    return;
  }

  const client = await provider.Client.find(details.params.client_id ?? "");
  const clientName = client?.clientName ?? details.params.client_id ?? "";
  if (action === "/login" && ctx.method === "POST") {
    const form = new URLSearchParams(await readNodeBody(ctx.req));
    const username = form.get("username") ?? "";
    const password = form.get("password") ?? "";
    const ok = username === ALICE.username && sameSecret(password, ALICE.password);
    if (ok) return await finish({ login: { accountId: ALICE.sub } }, false);
    ctx.status = 401;
    ctx.type = "html";
    ctx.body = loginPage(uid ?? "", clientName, "Invalid username or password.");
    return;
  }
  if (action || ctx.method !== "GET") {
    ctx.status = 405;
    ctx.body = { error: "method_not_allowed" };
    return;
  }
  ctx.type = "html";
  ctx.body = loginPage(uid ?? "", clientName, "");
}

function loginPage(uid: string, clientName: string, error: string): string {
  return page(
    "Sign-in",
    `<p>Sign in to continue to <strong>${escapeHtml(clientName)}</strong>.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
  <label>Username <input id="username" name="username" required autofocus></label>
  <label>Password <input id="password" name="password" type="password" required></label>
  <button type="submit">Sign in</button>
</form>
<p><a href="/interaction/${escapeHtml(uid)}/abort">Cancel</a></p>`,
  );
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · lmi dev IdP</title>
<style>body{font-family:sans-serif;max-width:24rem;margin:3rem auto}label{display:block;margin:.5rem 0}
input{display:block;width:100%}.error{color:#b00}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

// ---------------------------------------------------------------------------------------------
// The protected API

interface ApiState {
  requests: ApiRequestRecord[];
  fail401: number;
  /** Set by startDevIdp once the issuer is known; until then protected routes answer 503. */
  verify?: (token: string) => Promise<jose.JWTPayload>;
}

interface ApiHandle {
  port: number;
  close(): Promise<void>;
}

const BYTES_CHUNK = 64 * 1024;
const MAX_BYTES = 2 ** 31;
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

async function startApi(state: ApiState, closing: AbortSignal): Promise<ApiHandle> {
  const listening = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => listening.resolve(port),
  }, async (req) => {
    try {
      return await apiHandler(req, state, closing);
    } catch (err) {
      return json({ error: "server_error", error_description: String(err) }, 500);
    }
  });
  const port = await listening.promise;
  return {
    port,
    // Deno.serve can only shut down gracefully, and a response stuck on a client that stopped
    // reading (without closing) would hold shutdown() forever: wait at most a second for it. The
    // listener is closed at once either way, and shutdown ends once that client lets go.
    close: async () => {
      const grace = new AbortController();
      await Promise.race([server.shutdown(), sleep(1000, grace.signal)]);
      grace.abort();
    },
  };
}

function unauthorized(description: string): Response {
  const quoted = description.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, " ");
  return json({ error: "invalid_token", error_description: description }, 401, {
    "www-authenticate": `Bearer error="invalid_token", error_description="${quoted}"`,
  });
}

async function apiHandler(
  req: Request,
  state: ApiState,
  closing: AbortSignal,
): Promise<Response> {
  const url = new URL(req.url);
  const bodyBytes = new Uint8Array(await req.arrayBuffer());
  const bodyText = new TextDecoder().decode(bodyBytes);
  const authorization = req.headers.get("authorization");
  const headers = redactedHeaders(req.headers);
  const query = Object.fromEntries(url.searchParams);
  const record: ApiRequestRecord = {
    method: req.method,
    path: url.pathname,
    query,
    hasAuthorization: authorization !== null,
    headers,
    bodyBytes: bodyBytes.byteLength,
  };
  const scheme = authorization?.trim().split(/\s+/)[0];
  if (scheme) record.authorizationScheme = scheme;
  state.requests.push(record);

  const path = url.pathname;
  if (path === "/public") return json({ ok: true });

  const route = /^\/(?:whoami|echo|slow|status\/\d+|bytes\/\d+)$/.test(path);
  if (!route) return json({ error: "not_found", error_description: `no route ${path}` }, 404);
  if (path !== "/echo" && req.method !== "GET" && req.method !== "HEAD") {
    return json({ error: "method_not_allowed" }, 405, { allow: "GET, HEAD" });
  }

  // Token check (forced failures first).
  if (state.fail401 > 0) {
    state.fail401--;
    return unauthorized("token rejected (forced by fail401)");
  }
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)$/i.exec(authorization?.trim() ?? "");
  if (!match?.[1]) return unauthorized("missing bearer token");
  if (!state.verify) return json({ error: "temporarily_unavailable" }, 503);
  let claims: jose.JWTPayload;
  try {
    claims = await state.verify(match[1]);
  } catch (err) {
    return unauthorized(`token verification failed: ${(err as Error).message}`);
  }

  if (path === "/whoami") {
    return json({
      sub: claims.sub,
      client_id: claims.client_id,
      scope: claims.scope,
      aud: claims.aud,
    });
  }
  if (path === "/echo") {
    return json({ method: req.method, path, query, headers, body: bodyText });
  }
  if (path === "/slow") {
    const ms = Number(url.searchParams.get("ms") ?? "0");
    if (!Number.isFinite(ms) || ms < 0 || ms > MAX_DELAY_MS) {
      return json({ error: "invalid_request", error_description: "ms must be 0-600000" }, 400);
    }
    // Not req.signal: reading it makes Deno.serve warn about its legacy abort behaviour.
    await sleep(ms, closing);
    return json({ ok: true });
  }
  const status = /^\/status\/(\d+)$/.exec(path);
  if (status?.[1]) {
    const code = Number(status[1]);
    if (code < 200 || code > 599) {
      return json({ error: "invalid_request", error_description: "status must be 200-599" }, 400);
    }
    const extra: Record<string, string> = {};
    const retryAfter = url.searchParams.get("retry_after");
    if (retryAfter !== null) extra["retry-after"] = retryAfter;
    if (NULL_BODY_STATUSES.has(code)) return new Response(null, { status: code, headers: extra });
    return json({ status: code }, code, extra);
  }
  const bytes = /^\/bytes\/(\d+)$/.exec(path);
  if (bytes?.[1]) {
    const total = Number(bytes[1]);
    if (total > MAX_BYTES) {
      return json({ error: "invalid_request", error_description: "too many bytes" }, 400);
    }
    return new Response(byteStream(total, closing), {
      headers: { "content-type": "application/octet-stream", "content-length": String(total) },
    });
  }
  return json({ error: "not_found" }, 404);
}

/**
 * `total` bytes (0, 1, … 255, 0, …) in chunks of 64 KiB. Closing the IdP errors the stream, so
 * that a client that stopped reading cannot hold up close().
 */
function byteStream(total: number, closing: AbortSignal): ReadableStream<Uint8Array> {
  const pattern = new Uint8Array(BYTES_CHUNK).map((_, i) => i % 256);
  let sent = 0;
  let onClose = () => {};
  const done = () => closing.removeEventListener("abort", onClose);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      onClose = () => {
        done();
        try {
          controller.error(new Error("the dev IdP is closing"));
        } catch {
          // already closed
        }
      };
      if (closing.aborted) onClose();
      else closing.addEventListener("abort", onClose, { once: true });
    },
    pull(controller) {
      const n = Math.min(BYTES_CHUNK, total - sent);
      if (n <= 0) {
        done();
        controller.close();
        return;
      }
      controller.enqueue(pattern.slice(0, n));
      sent += n;
    },
    cancel: done,
  }, { highWaterMark: 1 });
}

// ---------------------------------------------------------------------------------------------
// Command line

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      "access-token-ttl": { type: "string" },
      discovery: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno run -A scripts/dev_idp.ts [--access-token-ttl SECONDS] [--discovery oidc|oauth]",
    );
    Deno.exit(0);
  }
  const options: DevIdpOptions = {};
  if (values["access-token-ttl"] !== undefined) {
    options.accessTokenTtl = Number(values["access-token-ttl"]);
  }
  if (values.discovery !== undefined) {
    options.discovery = values.discovery as "oidc" | "oauth";
  }
  // Listen for signals before starting, so that an early one still stops cleanly.
  const running: { idp?: DevIdp } = {};
  const stop = async () => {
    await running.idp?.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const idp = running.idp = await startDevIdp(options);
  const { stats: _stats, faults: _faults, api: _api, ...details } = idp;
  console.log(JSON.stringify(
    {
      ...details,
      discovery: {
        openid: options.discovery === "oauth"
          ? null
          : `${idp.issuer}/.well-known/openid-configuration`,
        oauth: `${idp.issuer}/.well-known/oauth-authorization-server`,
      },
      authorizationUrl: `${idp.issuer}/auth`,
      deviceAuthorizationUrl: `${idp.issuer}/device/auth`,
    },
    null,
    2,
  ));
}
