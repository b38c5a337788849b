/**
 * A "quirks" authorization server on loopback that reproduces what real IdPs do and lmi must
 * work with (issue 7, README → Identity providers): Basic credentials that are never
 * URL-decoded, Basic refused (400/401 `invalid_client`, or a bare 401/403), JWT access tokens
 * this client cannot verify (Entra ID v1 `iss`, a header nonce that breaks the signature, a key
 * the issuer does not publish, Keycloak's `aud`, no `iss`), and discovery behind redirects.
 * Each behaviour is a setting that a test changes between runs.
 */
import { loadJose } from "../../src/deps.ts";
import { serve, type TestServer } from "./servers.ts";
import { type Sandbox, sandbox } from "./cli.ts";

/** How the token endpoint's access token looks. */
export type TokenQuirk =
  | "verifiable"
  | "entra_v1_iss"
  | "header_nonce"
  | "unpublished_key"
  | "aud_account"
  | "no_iss"
  /** An unsigned JWT (`alg: none`). */
  | "alg_none"
  /** Signed by a stranger's key that claims the published key's `kid`. */
  | "foreign_kid"
  | "opaque";

/** Which client authentication the token endpoint accepts. */
export type AuthQuirk =
  /** Basic, base64 of `id:secret` compared as is (RFC 7617, no URL-decoding), or post. */
  | "basic_raw"
  /** Basic URL-decoded as RFC 6749 §2.3.1 says, or post. */
  | "basic_decoded"
  /** Only client_secret_post; Basic is refused as `basicRefusal` says. */
  | "post_only"
  /** Only Basic (raw); post is refused with 401 invalid_client. */
  | "basic_only"
  /** Nothing: every request is refused. */
  | "refuse_all";

/** How a client authentication method is refused: an OAuth error, or a bare status. */
export type Refusal = "invalid_client_401" | "invalid_client_400" | "empty_403" | "empty_401";

/** How discovery answers. */
export type DiscoveryQuirk =
  | "direct"
  /** 301 to the same path with a trailing slash (Django OAuth Toolkit 1.7). */
  | "trailing_slash"
  /** A redirect loop. */
  | "loop"
  /** A redirect to another origin. */
  | "other_origin"
  /** A redirect from https to plain http (only meaningful when served over TLS). */
  | "to_http";

export interface QuirksSettings {
  token: TokenQuirk;
  auth: AuthQuirk;
  /** How Basic is refused under "post_only" and "refuse_all". */
  basicRefusal: Refusal;
  /** How client_secret_post is refused under "basic_only" and "refuse_all". */
  postRefusal: Refusal;
  discovery: DiscoveryQuirk;
  /** token_endpoint_auth_methods_supported; undefined leaves it out of the metadata. */
  authMethods?: string[];
  /** Lifetime of issued tokens, seconds. */
  expiresIn: number;
  /** Sign new tokens with a fresh published key (the old one leaves the JWKS). */
  rotateKeys?: boolean;
  /** Where the issuer is on the server: "/realm", or "" for the server's origin. */
  issuerPath: string;
  /**
   * The issuer the discovery document and the tokens' `iss` give, with a trailing slash
   * (`http://h:p/realm/`, `http://h:p/`); discovery is served at the same place either way.
   */
  issuerSlash: boolean;
}

export interface TokenRequestRecord {
  /** "basic" or "post" or "none". */
  method: "basic" | "post" | "none";
  /** The Basic header's decoded `user:pass` exactly as sent (before any URL-decoding). */
  basicRaw?: string;
  body: Record<string, string>;
  ok: boolean;
}

export const QUIRKS_CLIENTS = {
  /** Unreserved punctuation only: sent as is by lmi's Basic encoding. */
  plain: { id: "svc-cli_v1.0~x", secret: "s3cr-et_.~Z" },
  /** Reserved characters: percent-encoded by lmi, so a non-decoding server needs post. */
  odd: { id: "svc+odd%:/id", secret: "p+s%:/w" },
};

export interface QuirksIdp {
  issuer: string;
  /** A token straight from the token endpoint (as the plain client, by post), bypassing lmi. */
  issueToken(): Promise<string>;
  settings: QuirksSettings;
  tokenRequests: TokenRequestRecord[];
  discoveryRequests: string[];
  set(patch: Partial<QuirksSettings>): void;
  reset(): void;
  [Symbol.asyncDispose](): Promise<void>;
}

const DEFAULTS: QuirksSettings = {
  token: "verifiable",
  auth: "basic_raw",
  basicRefusal: "invalid_client_401",
  postRefusal: "invalid_client_401",
  discovery: "direct",
  expiresIn: 3600,
  issuerPath: "/realm",
  issuerSlash: false,
};

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** Start the quirks server on 127.0.0.1 (over TLS when `tls` is given). */
export async function startQuirksIdp(
  tls?: { cert: string; key: string },
): Promise<QuirksIdp> {
  const jose = await loadJose();
  const newKey = async (kid: string) => {
    const { privateKey, publicKey } = await jose.generateKeyPair("ES256", { extractable: true });
    return { kid, privateKey, jwk: { ...await jose.exportJWK(publicKey), kid, alg: "ES256" } };
  };
  let published = await newKey("k1");
  const unpublished = await newKey("unpublished");
  let generation = 1;
  const settings: QuirksSettings = { ...DEFAULTS };
  const tokenRequests: TokenRequestRecord[] = [];
  const discoveryRequests: string[] = [];
  const other = serve(() => Response.json({ issuer: "http://elsewhere.invalid" }));
  const issuer = () => `${self.url}${settings.issuerPath}${settings.issuerSlash ? "/" : ""}`;

  const metadata = () => ({
    issuer: issuer(),
    token_endpoint: `${self.url}/token`,
    jwks_uri: `${self.url}/jwks`,
    ...(settings.authMethods
      ? { token_endpoint_auth_methods_supported: settings.authMethods }
      : {}),
  });

  async function accessToken(body: Record<string, string>): Promise<string> {
    if (settings.token === "opaque") return crypto.randomUUID().replaceAll("-", "");
    if (settings.rotateKeys) {
      published = await newKey(`k${++generation}`);
      settings.rotateKeys = false;
    }
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      sub: body.client_id ?? "client",
      iat: now,
      exp: now + settings.expiresIn,
      aud: body.audience ?? "api",
      iss: issuer(),
      jti: crypto.randomUUID(),
    };
    if (settings.token === "entra_v1_iss") claims.iss = "https://sts.windows.net/tenant-id/";
    if (settings.token === "no_iss") delete claims.iss;
    if (settings.token === "aud_account") claims.aud = "account";
    if (settings.token === "alg_none") {
      const enc = (v: unknown) => b64url(new TextEncoder().encode(JSON.stringify(v)));
      return `${enc({ alg: "none", typ: "JWT" })}.${enc(claims)}.`;
    }
    const key = settings.token === "unpublished_key"
      ? unpublished
      : settings.token === "foreign_kid"
      ? { ...unpublished, kid: published.kid }
      : published;
    const jwt = await new jose.SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "at+jwt" })
      .sign(key.privateKey);
    if (settings.token !== "header_nonce") return jwt;
    // Entra ID tokens for Microsoft Graph: a nonce in the header, hashed after signing, so the
    // signature does not verify with the published key.
    const [, payload, signature] = jwt.split(".");
    const header = b64url(
      new TextEncoder().encode(
        JSON.stringify({ alg: "ES256", kid: key.kid, typ: "JWT", nonce: crypto.randomUUID() }),
      ),
    );
    return `${header}.${payload}.${signature}`;
  }

  function refuse(refusal: Refusal): Response {
    switch (refusal) {
      case "invalid_client_401":
        return Response.json({ error: "invalid_client" }, {
          status: 401,
          headers: { "www-authenticate": 'Basic realm="token"' },
        });
      case "invalid_client_400":
        return Response.json({ error: "invalid_client" }, { status: 400 });
      case "empty_403":
        return new Response(null, { status: 403 });
      case "empty_401":
        return new Response(null, { status: 401 });
    }
  }

  function clientFromBasic(raw: string): { id: string; secret: string } | undefined {
    const i = raw.indexOf(":");
    if (i < 0) return undefined;
    const id = raw.slice(0, i);
    const secret = raw.slice(i + 1);
    if (settings.auth !== "basic_decoded") return { id, secret };
    try {
      const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
      return { id: dec(id), secret: dec(secret) };
    } catch {
      return undefined;
    }
  }

  const known = (c: { id?: string | undefined; secret?: string | undefined } | undefined) =>
    Object.values(QUIRKS_CLIENTS).some((k) => k.id === c?.id && k.secret === c?.secret);

  async function token(req: Request): Promise<Response> {
    const body = Object.fromEntries(new URLSearchParams(await req.text()));
    const header = req.headers.get("authorization") ?? "";
    const record: TokenRequestRecord = {
      method: header.startsWith("Basic ") ? "basic" : body.client_secret ? "post" : "none",
      body,
      ok: false,
    };
    if (record.method === "basic") {
      record.basicRaw = new TextDecoder().decode(
        Uint8Array.from(atob(header.slice(6)), (c) => c.charCodeAt(0)),
      );
    }
    tokenRequests.push(record);
    let accepted: boolean;
    if (record.method === "basic") {
      if (settings.auth === "post_only" || settings.auth === "refuse_all") {
        return refuse(settings.basicRefusal);
      }
      accepted = known(clientFromBasic(record.basicRaw!));
    } else if (record.method === "post") {
      if (settings.auth === "basic_only" || settings.auth === "refuse_all") {
        return refuse(settings.postRefusal);
      }
      accepted = known({ id: body.client_id, secret: body.client_secret });
    } else accepted = false;
    if (!accepted) {
      return Response.json({
        error: "invalid_client",
        error_description: "client authentication failed",
      }, { status: 401 });
    }
    if (!["client_credentials", "refresh_token"].includes(body.grant_type ?? "")) {
      return Response.json({ error: "unsupported_grant_type" }, { status: 400 });
    }
    record.ok = true;
    return Response.json({
      access_token: await accessToken(body),
      token_type: "Bearer",
      expires_in: settings.expiresIn,
      ...(body.scope ? { scope: body.scope } : {}),
    }, { headers: { "cache-control": "no-store" } });
  }

  function discovery(path: string): Response {
    discoveryRequests.push(path);
    const base = `${settings.issuerPath}/.well-known/openid-configuration`;
    const redirect = (to: string) => new Response(null, { status: 301, headers: { location: to } });
    switch (settings.discovery) {
      case "direct":
        return Response.json(metadata());
      case "trailing_slash":
        return path === base ? redirect(`${base}/`) : Response.json(metadata());
      case "loop":
        return redirect(path === base ? `${base}/` : base);
      case "other_origin":
        return redirect(`${other.url}${base}`);
      case "to_http":
        return redirect(`http://127.0.0.1:${new URL(self.url).port}${base}/`);
    }
  }

  const self: TestServer = serve(async (req) => {
    const path = new URL(req.url).pathname;
    if (path.startsWith(`${settings.issuerPath}/.well-known/`)) return discovery(path);
    if (path === "/jwks") return Response.json({ keys: [published.jwk] });
    if (path === "/token" && req.method === "POST") return await token(req);
    return new Response("not found", { status: 404 });
  }, tls);

  return {
    get issuer() {
      return issuer();
    },
    async issueToken() {
      const res = await fetch(`${self.url}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: QUIRKS_CLIENTS.plain.id,
          client_secret: QUIRKS_CLIENTS.plain.secret,
        }),
      });
      if (!res.ok) throw new Error(`the quirks IdP answered ${res.status}`);
      return (await res.json()).access_token;
    },
    settings,
    tokenRequests,
    discoveryRequests,
    set(patch) {
      Object.assign(settings, patch);
    },
    reset() {
      for (const key of Object.keys(settings) as (keyof QuirksSettings)[]) delete settings[key];
      Object.assign(settings, DEFAULTS);
      tokenRequests.length = 0;
      discoveryRequests.length = 0;
    },
    async [Symbol.asyncDispose]() {
      await Promise.all([self[Symbol.asyncDispose](), other[Symbol.asyncDispose]()]);
    },
  };
}

/** `lmi.toml` with an env `q` (the default) for a quirks client, its secret in Q_SECRET. */
export function quirksConfig(
  idp: Pick<QuirksIdp, "issuer">,
  options: { auth?: string; env?: string; client?: keyof typeof QUIRKS_CLIENTS } = {},
): string {
  return `default_env = "q"
[envs.q]
${options.env ?? ""}
[envs.q.auth]
type = "client_credentials"
issuer = "${idp.issuer}"
client_id = ${JSON.stringify(QUIRKS_CLIENTS[options.client ?? "plain"].id)}
client_secret_env = "Q_SECRET"
${options.auth ?? ""}
`;
}

/** A sandbox with `toml` as its lmi.toml and the client's secret in Q_SECRET. */
export async function quirksSandbox(
  toml: string,
  client: keyof typeof QUIRKS_CLIENTS = "plain",
): Promise<Sandbox> {
  const box = await sandbox({ Q_SECRET: QUIRKS_CLIENTS[client].secret });
  await box.writeConfig(toml);
  return box;
}
