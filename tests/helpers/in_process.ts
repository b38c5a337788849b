/**
 * Running `main(args, deps)` in this process with fake deps: a private temporary home and cache,
 * a fixed clock, and a fake IdP and API answering through the injected fetch (no network).
 */
import { join } from "../../src/util/path.ts";
import { main } from "../../src/cli/main.ts";
import { loadJose } from "../../src/deps.ts";
import { captured, type FakeDeps, fakeDeps, homeVars } from "./fakes.ts";
import { dataDir } from "../../src/config/paths.ts";
import {
  saveSession,
  SESSION_VERSION,
  type SessionOwner,
  type SsoSession,
} from "../../src/sso/session.ts";
import { fileStore } from "../../src/sso/store.ts";

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** A success: exit 0, `stdout`, and `stderr` (empty unless given). */
export function ok(stdout: string, stderr = ""): Result {
  return { code: 0, stdout, stderr };
}

/** A failure as the CLI edge prints it: nothing on stdout, `lmi: error: …` and `hint: …`. */
export function failed(code: number, message: string, hint: string): Result {
  return { code, stdout: "", stderr: `lmi: error: ${message}\nhint: ${hint}\n` };
}

/** Where the fake IdP and API answer, and the client they know. */
export const IDP = {
  tokenUrl: "https://idp.example/token",
  /** Its RFC 7009 endpoint (no discovery says so: an env names it with revocation_url). */
  revocationUrl: "https://idp.example/revoke",
  clientId: "svc",
  secret: "s3cret",
  apiUrl: "https://api.example",
  /**
   * An SSO IdP that signs people in with the authorization code flow (World.authorize stands in
   * for its login page) and sends `iss` in every authorization response, as its metadata says
   * (RFC 9207). It offers no device flow.
   */
  ssoIssuer: "https://sso.example",
  /** An SSO IdP like ssoIssuer that also offers the device authorization grant (RFC 8628). */
  ssoDeviceIssuer: "https://sso-device.example",
  /** An SSO IdP whose discovery offers no revocation endpoint. */
  ssoNoRevocationIssuer: "https://sso-norevoke.example",
};

/**
 * An `[sso]` table at the fake SSO IdP `issuer` (with `extra` lines in it) and an env `app` of
 * type sso calling the fake API.
 */
export function ssoAppConfig(issuer: string = IDP.ssoIssuer, extra = ""): string {
  return `[sso]
issuer = "${issuer}"
client_id = "lmi"
${extra}
[envs.app]
base_url = "${IDP.apiUrl}"
[envs.app.auth]
type = "sso"
`;
}

/** A client_credentials env `NAME` at the fake IdP, calling the fake API. */
export function serviceEnv(name: string): string {
  return `[envs.${name}]
base_url = "${IDP.apiUrl}"
[envs.${name}.auth]
type = "client_credentials"
token_url = "${IDP.tokenUrl}"
client_id = "${IDP.clientId}"
client_secret_env = "SVC_SECRET"
scopes = ["api.read"]
`;
}

export interface World {
  dir: string;
  /** Environment variables lmi sees (change them between runs). */
  env: Record<string, string>;
  /** Tokens the fake IdP gave (it refuses any other secret), and the API requests it saw. */
  tokenRequests: number;
  apiRequests: string[];
  /**
   * The `token_type_hint`s of the revocations the fake IdPs accepted (service and SSO). Like
   * oidc-provider they cannot revoke a JWT (a token starting "eyJ"): unsupported_token_type.
   */
  revoked: string[];
  /**
   * What the SSO IdPs' token endpoints answer a refresh with (besides a new access token
   * `sso-at-N`; no ID token, so the session keeps its user): default a 1 h token, no `scope`.
   */
  ssoRefresh: { expires_in: number; scope?: string; refresh_token?: string };
  /** Refreshes the SSO IdPs answered. */
  ssoRefreshes: number;
  /**
   * Whether stdin, stdout and stderr are terminals (an interactive run; default: no); "stdin":
   * stdin and stderr only, as kubectl runs a credential plugin at a terminal (it reads stdout).
   */
  terminal: boolean | "stdin";
  /** The deps of the run under way (or the last one): to interrupt it as Ctrl-C would. */
  running?: FakeDeps;
  /** What the runs read on stdin (default: nothing). */
  stdin: string;
  /** The folder lmi runs in (default: `dir`, which holds the lmi.toml). */
  cwd: string;
  /**
   * The lines on stdin, for `deps.readLine` (each run takes from the front; none left: the end
   * of input). A function gives its line when lmi asks for it, from what the run printed so far
   * (a pasted address); a promise that never settles is a stdin nobody writes to.
   */
  typed: (string | ((run: FakeDeps) => Promise<string | null>))[];
  /**
   * The sign-in at the SSO IdPs' login page, as a person completes it in a browser: the
   * address the browser is then sent to (lmi's redirect URI with a code, the state and `iss`)
   * for an authorization URL lmi printed. The code is good for one exchange.
   */
  authorize(authorizationUrl: string | URL): URL;
  /** Authorization codes the SSO IdPs exchanged for tokens. */
  codeExchanges: number;
  /** More answers of the fake network, by URL, consulted first (a new IdP for a test). */
  answers: Map<string, (request: Request) => Response | Promise<Response>>;
  /** Run lmi in this process; each run gets fresh stdout / stderr buffers. */
  lmi(...args: string[]): Promise<Result>;
  writeConfig(toml: string): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** `Basic base64(id:secret)` or form-body credentials: is the right secret there? */
async function hasSecret(request: Request): Promise<boolean> {
  const basic = request.headers.get("authorization")?.replace(/^Basic /, "");
  const body = await request.text();
  return (basic !== undefined && atob(basic).includes(IDP.secret)) || body.includes(IDP.secret);
}

/** A temporary home with `toml` as its lmi.toml and the fake IdP's secret in SVC_SECRET. */
export async function world(toml: string): Promise<World> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "lmi-inproc-" }));
  const jose = await loadJose();
  const signing = await jose.generateKeyPair("ES256");
  const jwks = { keys: [{ ...await jose.exportJWK(signing.publicKey), kid: "k1", alg: "ES256" }] };
  /** The authorization codes the SSO IdPs issued and not yet exchanged. */
  const codes = new Map<
    string,
    { issuer: string; redirectUri: string; challenge: string; nonce: string; scope: string }
  >();
  /** The tokens for an authorization code (RFC 6749 §4.1.3, PKCE checked), or the IdP's error. */
  const exchange = async (issuer: string, form: URLSearchParams): Promise<Response> => {
    const code = codes.get(form.get("code") ?? "");
    codes.delete(form.get("code") ?? "");
    const verifier = form.get("code_verifier") ?? "";
    const challenge = jose.base64url.encode(
      new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))),
    );
    if (
      !code || code.issuer !== issuer || code.redirectUri !== form.get("redirect_uri") ||
      code.challenge !== challenge
    ) {
      return Response.json({ error: "invalid_grant", error_description: "bad code" }, {
        status: 400,
      });
    }
    w.codeExchanges++;
    // Valid at lmi's clock (the run's) and at openid-client's (the real one).
    const clocks = [w.running?.now() ?? Date.now(), Date.now()].map((ms) => Math.floor(ms / 1000));
    const idToken = await new jose.SignJWT({
      email: "alice@example.com",
      name: "Alice",
      nonce: code.nonce,
    })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer(issuer)
      .setAudience("lmi")
      .setSubject("alice")
      .setIssuedAt(Math.min(...clocks))
      .setExpirationTime(Math.max(...clocks) + 3600)
      .sign(signing.privateKey);
    return Response.json({
      access_token: `sso-code-at-${w.codeExchanges}`,
      token_type: "Bearer",
      expires_in: 3600,
      refresh_token: `sso-code-rt-${w.codeExchanges}`,
      id_token: idToken,
      scope: code.scope,
    });
  };
  const w: World = {
    dir,
    env: {
      ...homeVars(join(dir, "home")),
      LMI_CACHE_DIR: join(dir, "cache"),
      // The world's lmi.toml is the test's own: trusted as a user's project folder is.
      LMI_TRUSTED_PATHS: dir,
      LMI_KEYRING: "file",
      // Plain text even when a test makes stderr a terminal (as the subprocess tests have it).
      NO_COLOR: "1",
      SVC_SECRET: IDP.secret,
    },
    tokenRequests: 0,
    apiRequests: [],
    revoked: [],
    ssoRefresh: { expires_in: 3600 },
    ssoRefreshes: 0,
    terminal: false,
    stdin: "",
    cwd: dir,
    typed: [],
    codeExchanges: 0,
    authorize(authorizationUrl) {
      const asked = new URL(authorizationUrl).searchParams;
      const issuer = new URL(authorizationUrl).origin;
      const code = `code-${crypto.randomUUID()}`;
      codes.set(code, {
        issuer,
        redirectUri: asked.get("redirect_uri")!,
        challenge: asked.get("code_challenge")!,
        nonce: asked.get("nonce")!,
        scope: asked.get("scope") ?? "openid",
      });
      const back = new URL(asked.get("redirect_uri")!);
      back.search = new URLSearchParams({ code, state: asked.get("state")!, iss: issuer })
        .toString();
      return back;
    },
    answers: new Map(),
    async lmi(...args) {
      const deps = fakeDeps({ env: w.env, cwd: w.cwd, fetch });
      deps.readStdin = () => Promise.resolve(new TextEncoder().encode(w.stdin));
      if (w.terminal) {
        deps.stdinIsTerminal = true;
        deps.stdout = captured(w.terminal === true);
        deps.stderr = captured(true);
      }
      deps.readLine = async () => {
        const next = w.typed.shift();
        return typeof next === "function" ? await next(deps) : next ?? null;
      };
      w.running = deps;
      const code = await main(args, deps);
      return { code, stdout: deps.stdout.text(), stderr: deps.stderr.text() };
    },
    writeConfig: (text) => Deno.writeTextFile(join(dir, "lmi.toml"), text),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    const answer = w.answers.get(request.url);
    if (answer) return await answer(request);
    if (request.url === IDP.tokenUrl) {
      if (!await hasSecret(request)) {
        return Response.json({ error: "invalid_client", error_description: "bad secret" }, {
          status: 401,
        });
      }
      w.tokenRequests++;
      return Response.json({
        access_token: `at-${w.tokenRequests}`,
        token_type: "Bearer",
        expires_in: 3600,
      });
    }
    for (const issuer of [IDP.ssoIssuer, IDP.ssoDeviceIssuer, IDP.ssoNoRevocationIssuer]) {
      if (request.url !== `${issuer}/.well-known/openid-configuration`) continue;
      return Response.json({
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        ...(issuer !== IDP.ssoNoRevocationIssuer
          ? { revocation_endpoint: `${issuer}/revoke` }
          : {}),
        ...(issuer === IDP.ssoDeviceIssuer
          ? { device_authorization_endpoint: `${issuer}/device/auth` }
          : {}),
        jwks_uri: `${issuer}/jwks`,
        id_token_signing_alg_values_supported: ["ES256"],
        ...(issuer === IDP.ssoIssuer
          ? { authorization_response_iss_parameter_supported: true }
          : {}),
      });
    }
    const ssoIssuers = [IDP.ssoIssuer, IDP.ssoDeviceIssuer, IDP.ssoNoRevocationIssuer];
    if (ssoIssuers.some((i) => request.url === `${i}/jwks`)) return Response.json(jwks);
    if (ssoIssuers.some((i) => request.url === `${i}/token`)) {
      const form = new URLSearchParams(await request.text());
      if (form.get("grant_type") === "authorization_code") {
        return await exchange(new URL(request.url).origin, form);
      }
      if (form.get("grant_type") !== "refresh_token") {
        return Response.json({ error: "unsupported_grant_type" }, { status: 400 });
      }
      w.ssoRefreshes++;
      return Response.json({
        access_token: `sso-at-${w.ssoRefreshes}`,
        token_type: "Bearer",
        ...w.ssoRefresh,
      });
    }
    if (request.url === `${IDP.ssoDeviceIssuer}/device/auth`) {
      return Response.json({ error: "unauthorized_client", error_description: "not here" }, {
        status: 400,
      });
    }
    if (
      request.url === IDP.revocationUrl ||
      [IDP.ssoIssuer, IDP.ssoDeviceIssuer].some((i) => request.url === `${i}/revoke`)
    ) {
      const form = new URLSearchParams(await request.text());
      if (form.get("token")?.startsWith("eyJ")) {
        return Response.json({
          error: "unsupported_token_type",
          error_description: "Structured JWT Tokens cannot be revoked via the revocation_endpoint",
        }, { status: 400 });
      }
      w.revoked.push(form.get("token_type_hint") ?? "");
      return new Response(null, { status: 200 });
    }
    w.apiRequests.push(`${request.method} ${request.url}`);
    if (request.url === `${IDP.apiUrl}/echo`) {
      return Response.json({
        method: request.method,
        authorization: request.headers.get("authorization"),
        trace: request.headers.get("x-trace"),
        body: await request.text(),
      });
    }
    return new Response("no such thing", {
      status: 404,
      statusText: "Not Found",
      headers: { "content-type": "text/plain" },
    });
  };
  await w.writeConfig(toml);
  return w;
}

/**
 * Store a session for alice in the file store of the home `env` names (the fake clock says
 * 00:00; by default it is valid until 01:00, with a refresh token), as the provider `owner`.
 */
export async function storeSession(
  env: Record<string, string>,
  session: Partial<SsoSession> = {},
  owner?: SessionOwner,
): Promise<void> {
  await saveSession(fileStore(dataDir(fakeDeps({ env }))!), {
    version: SESSION_VERSION,
    issuer: IDP.ssoIssuer,
    client_id: "lmi",
    access_token: "sso-at",
    token_type: "Bearer",
    expires_at: "2026-01-01T01:00:00.000Z",
    refresh_token: "sso-rt",
    user: { sub: "alice", email: "alice@example.com" },
    obtained_at: "2026-01-01T00:00:00.000Z",
    ...session,
  }, owner);
}
