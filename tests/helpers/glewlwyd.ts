/**
 * A private glewlwyd (Debian package `glewlwyd`, 2.7.x) on 127.0.0.1: a real third-party OAuth 2.0 /
 * OpenID Connect server for interoperability tests.
 *
 * Each call makes a temp dir with a fresh sqlite database (from the package's init SQL), a config
 * file and a copy of the webapp (the package's `config.json` symlink is broken), starts glewlwyd on
 * a free port, then configures it through its admin REST API: scopes, an `oidc` plugin instance
 * (RS256 key made here), a user and three clients. It resolves once discovery answers.
 *
 * What glewlwyd does (checked against 2.7.5, see tests/integration/glewlwyd_smoke_test.ts):
 * - issuer is exactly `http://127.0.0.1:<port>/api/oidc` (no trailing slash); discovery is served
 *   at `<issuer>/.well-known/openid-configuration` with 200, no redirect; nothing at the RFC 8414
 *   path or at the origin's well-known path. The authorization response carries `iss` (RFC 9207).
 * - HTTP Basic client credentials are NOT percent-decoded: the raw `id:secret` is split at the
 *   first `:`. A client id containing `:` therefore cannot use client_secret_basic at all (use
 *   client_secret_post), and form-urlencoded Basic (oauth4webapi style) is rejected with 403.
 *   client_secret_post works, also at the revocation endpoint (discovery lists only basic there).
 * - redirect URIs are compared as exact strings: a loopback URI with another port is refused (403,
 *   no redirect), so tests register the exact URI first (`setRedirectUris`).
 * - password and client_credentials need the plugin's `allow-non-oidc`; discovery lists only
 *   authorization_code, implicit and device_code in `grant_types_supported` (the others appear in
 *   `response_types_supported`).
 * - errors: a bad client secret or user password gives 403 with an EMPTY body (no `error`, no
 *   WWW-Authenticate); a rotated-out refresh token gives 400 with an empty body; a wrong PKCE
 *   verifier gives 403 `{"error":"invalid_code"}`.
 * - refresh tokens are issued for password and code grants whether or not `offline_access` is
 *   asked; with `refresh-token-one-use: always` (set here) each refresh returns a new one and the
 *   old one stops working. A public client cannot revoke (401): revocation and introspection need
 *   client authentication.
 * - lifetimes here: access token 3600 s, refresh token 14 days (rolling), code 600 s, device code
 *   600 s with a polling interval of 1 s (glewlwyd's default is 5 s). Access tokens are RS256
 *   JWTs with `typ: at+jwt`.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { join } from "../../src/util/path.ts";
import type { launchChromium } from "./browser.ts";
import { LINUX, type Needs } from "./components.ts";

export const GLEWLWYD = "glewlwyd";

/** What startGlewlwyd needs (for ignoreUnless): Debian's package. */
export const NEEDS_GLEWLWYD: Needs = {
  os: LINUX,
  why: "Debian's glewlwyd package",
  commands: [GLEWLWYD],
};

const PACKAGE_SQL = "/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz";
const PACKAGE_WEBAPP = "/usr/share/glewlwyd/webapp";
/** The package's webapp/config.json points at a directory; these hold the real file. */
const WEBAPP_CONFIGS = [
  "/etc/glewlwyd/config-2.7.json/config.json",
  "/etc/glewlwyd/config-2.7.json",
  "/usr/share/glewlwyd/templates/config.json",
];
const MODULES = "/usr/lib/glewlwyd";
/** Created by the package's init SQL. */
const ADMIN = { username: "admin", password: "password" };

export interface GlewlwydClient {
  id: string;
  secret: string;
}

export interface GlewlwydOptions {
  /** Redirect URIs of the public client. Default `["http://127.0.0.1/callback"]`. */
  redirectUris?: string[];
  /** Plugin parameter overrides (e.g. `{"access-token-duration": 5}`). */
  plugin?: Record<string, unknown>;
}

/** A Playwright page as made by tests/helpers/browser.ts. */
export type Page = Awaited<ReturnType<Awaited<ReturnType<typeof launchChromium>>["newPage"]>>;

export interface Glewlwyd {
  /** `http://127.0.0.1:<port>`: the webapp (login page, admin app at /index.html). */
  url: string;
  /** `http://127.0.0.1:<port>/api/oidc`, exactly as in discovery and tokens. */
  issuer: string;
  /** `<issuer>/.well-known/openid-configuration`. */
  discoveryUrl: string;
  /** Admin REST API base, `http://127.0.0.1:<port>/api` (session cookie: see `admin`). */
  adminUrl: string;
  /** Admin login of the admin app and REST API. */
  admin: { username: string; password: string };
  clients: {
    /** `svc-cli_v1.0~x`: client_credentials, password, refresh_token; basic and post. */
    basic: GlewlwydClient;
    /** `svc+odd%:/id`: client_credentials; the `:` in its id makes Basic impossible. */
    odd: GlewlwydClient;
    /** `svc+odd%/id` with secret `p+s%:/w`: like `odd` but Basic-capable (no `:` in the id). */
    oddBasic: GlewlwydClient;
    /** `lmi-cli-public`: public; code + PKCE, device_authorization, refresh_token. */
    public: { id: string; redirectUris: string[] };
    /**
     * `lmi-cli-web_1.0`: confidential; device_authorization, refresh_token and revocation (a
     * public client cannot revoke at glewlwyd).
     */
    web: GlewlwydClient;
  };
  user: { username: string; password: string; email: string; name: string };
  /** Scopes the user holds and the public client may ask for. */
  scopes: string[];
  /** Scope the confidential clients get with client_credentials. */
  serviceScope: string;
  /** Replace the public client's redirect URIs (exact-match), e.g. with a loopback port. */
  setRedirectUris(uris: string[]): Promise<void>;
  /** The temp dir holding glewlwyd.conf, glewlwyd.db (sqlite) and webapp/; removed on stop. */
  dir: string;
  /** Everything glewlwyd printed so far (log level DEBUG). */
  log(): string;
  /**
   * Given a Playwright page that is at (or redirecting from) the authorize URL or the device
   * verification URL: log the user in on glewlwyd's login page and grant the requested scopes.
   * Resolves once the browser has left the login page (redirected to the client, or for the device
   * flow shown the completion page).
   */
  login(page: Page, options?: { timeout?: number }): Promise<void>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * `sh -c WATCHDOG glewlwyd <conf>`: runs glewlwyd and stops it once our end of the shell's stdin
 * closes, which also happens when this Deno process dies, so no glewlwyd outlives its test run.
 */
const WATCHDOG = `exec 3<&0
"$0" -c "$1" </dev/null 3<&- & pid=$!
( cat <&3 >/dev/null; kill -TERM "$pid" 2>/dev/null ) &
exec 3<&-
wait "$pid"`;

const CLIENT_SCOPE = "api";
const USER_SCOPES = ["openid", "profile", "email", "offline_access"];

async function gunzip(path: string): Promise<string> {
  const file = await Deno.open(path);
  const stream = file.readable.pipeThrough(new DecompressionStream("gzip"))
    .pipeThrough(new TextDecoderStream());
  let text = "";
  for await (const chunk of stream) text += chunk;
  return text;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

async function rsaKeyPair(): Promise<{ privatePem: string; publicPem: string }> {
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  return {
    privatePem: pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
    publicPem: pem("PUBLIC KEY", await crypto.subtle.exportKey("spki", pair.publicKey)),
  };
}

async function webappConfig(): Promise<string> {
  for (const path of WEBAPP_CONFIGS) {
    try {
      if ((await Deno.stat(path)).isFile) return await Deno.readTextFile(path);
    } catch { /* next */ }
  }
  throw new Error(`glewlwyd webapp config.json not found in ${WEBAPP_CONFIGS.join(", ")}`);
}

/**
 * The package's webapp with a real config.json, copied (glewlwyd's static file server does not
 * follow symlinks, and the package's own css/fonts are symlinks into other packages).
 */
async function makeWebapp(dir: string): Promise<void> {
  const copy = async (from: string, to: string) => {
    await Deno.mkdir(to);
    for await (const entry of Deno.readDir(from)) {
      const source = join(from, entry.name);
      const info = await Deno.stat(source).catch(() => undefined);
      if (!info || (from === PACKAGE_WEBAPP && entry.name === "config.json")) continue;
      if (info.isDirectory) await copy(source, join(to, entry.name));
      else await Deno.copyFile(source, join(to, entry.name));
    }
  };
  await copy(PACKAGE_WEBAPP, dir);
  await Deno.writeTextFile(join(dir, "config.json"), await webappConfig());
}

function configFile(port: number, dir: string): string {
  const mime = [
    [".html", "text/html"],
    [".css", "text/css"],
    [".js", "application/javascript"],
    [".json", "application/json"],
    [".png", "image/png"],
    [".ico", "image/x-icon"],
    [".svg", "image/svg+xml"],
    [".ttf", "font/ttf"],
    [".woff", "font/woff"],
    [".woff2", "font/woff2"],
    [".eot", "application/vnd.ms-fontobject"],
    [".otf", "font/otf"],
    [".map", "application/octet-stream"],
  ].map(([ext, type]) => `  { extension = "${ext}" mime_type = "${type}" }`).join(",\n");
  return `# generated by tests/helpers/glewlwyd.ts
port=${port}
bind_address="127.0.0.1"
external_url="http://127.0.0.1:${port}"
login_url="login.html"
api_prefix="api"
static_files_path="${join(dir, "webapp")}/"
allow_origin="*"
log_mode="console"
log_level="DEBUG"
cookie_secure=0
session_expiration=3600
session_key="GLEWLWYD2_SESSION_ID"
admin_session_authentication="cookie"
profile_session_authentication="cookie"
allow_multiple_user_per_session=true
login_api_enabled=true
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="${MODULES}/user"
user_middleware_module_path="${join(dir, "user_middleware")}"
client_module_path="${MODULES}/client"
user_auth_scheme_module_path="${MODULES}/scheme"
plugin_module_path="${MODULES}/plugin"
hash_algorithm="SHA512"
database = { type = "sqlite3" path = "${join(dir, "glewlwyd.db")}" };
response_allowed_compression="deflate,gzip"
static_files_mime_types = (
${mime}
)
`;
}

function pluginParameters(issuer: string, key: { privatePem: string; publicPem: string }) {
  return {
    "iss": issuer,
    "jwt-type": "rsa",
    "jwt-key-size": "256",
    "key": key.privatePem,
    "cert": key.publicPem,
    "oauth-as-iss-id": true,
    "access-token-duration": 3600,
    "refresh-token-duration": 1209600,
    "code-duration": 600,
    "refresh-token-rolling": true,
    "refresh-token-one-use": "always",
    "client-refresh-token-one-use-parameter": "refresh-token-one-use",
    "allow-non-oidc": true,
    "auth-type-code-enabled": true,
    "auth-type-code-revoke-replayed": false,
    "auth-type-token-enabled": true,
    "auth-type-id-token-enabled": true,
    "auth-type-none-enabled": true,
    "auth-type-password-enabled": true,
    "auth-type-client-enabled": true,
    "auth-type-device-enabled": true,
    "auth-type-refresh-enabled": true,
    "scope": [],
    "additional-parameters": [],
    "claims": [],
    "jwks-show": true,
    "jwks-x5c": [],
    "request-parameter-allow": true,
    "request-uri-allow-https-non-secure": false,
    "request-parameter-allow-encrypted": false,
    "secret-type": "public",
    "address-claim": { type: "no", mandatory: false },
    "name-claim": "on-demand",
    "name-claim-scope": ["profile"],
    "email-claim": "on-demand",
    "email-claim-scope": ["email"],
    "scope-claim": "no",
    "scope-claim-scope": [],
    "allowed-scope": [...USER_SCOPES, CLIENT_SCOPE],
    "pkce-allowed": true,
    "pkce-method-plain-allowed": false,
    "pkce-required": false,
    "pkce-required-public-client": true,
    "pkce-scopes": [],
    "introspection-revocation-allowed": true,
    "introspection-revocation-auth-scope": [],
    "introspection-revocation-allow-target-client": true,
    "register-client-allowed": false,
    "session-management-allowed": false,
    "device-authorization-expiration": 600,
    "device-authorization-interval": 1,
    "encrypt-out-token-allow": false,
    "oauth-dpop-allowed": false,
    "resource-allowed": false,
    "oauth-rar-allowed": false,
    "oauth-par-allowed": false,
    "oauth-ciba-allowed": false,
  };
}

/** Collects a child's output as text while it runs. */
function collect(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  return (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) into.push(chunk);
  })().catch(() => {});
}

/** Start a configured glewlwyd; dispose it (await using) to stop it and remove its files. */
export async function startGlewlwyd(options: GlewlwydOptions = {}): Promise<Glewlwyd> {
  const dir = await Deno.makeTempDir({ prefix: "lmi-glewlwyd-" });
  const logChunks: string[] = [];
  const log = () => logChunks.join("");
  let child: Deno.ChildProcess | undefined;
  let pumps: Promise<void>[] = [];
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child) {
      // Closing the watchdog's stdin makes it SIGTERM glewlwyd (see WATCHDOG).
      await child.stdin.close().catch(() => {});
      const timer = setTimeout(() => {
        try {
          child?.kill("SIGKILL");
        } catch { /* gone */ }
      }, 3000);
      await child.status;
      clearTimeout(timer);
      await Promise.all(pumps);
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  try {
    const [sql, key] = await Promise.all([gunzip(PACKAGE_SQL), rsaKeyPair()]);
    const db = new DatabaseSync(join(dir, "glewlwyd.db"));
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
    await makeWebapp(join(dir, "webapp"));
    // Debian ships no user middleware modules; an empty dir keeps an ERROR line out of the log.
    await Deno.mkdir(join(dir, "user_middleware"));

    // A free port can be taken between probing and binding: retry a couple of times.
    let port = 0;
    for (let attempt = 0;; attempt++) {
      port = freePort();
      const confPath = join(dir, "glewlwyd.conf");
      await Deno.writeTextFile(confPath, configFile(port, dir));
      child = new Deno.Command("sh", {
        args: ["-c", WATCHDOG, GLEWLWYD, confPath],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      pumps = [collect(child.stdout, logChunks), collect(child.stderr, logChunks)];
      const up = await waitUntil(`http://127.0.0.1:${port}/config/`, child, 10_000);
      if (up) break;
      await child.status.catch(() => {});
      await Promise.all(pumps);
      if (attempt >= 2 || !/Failed to bind|Address already in use/i.test(log())) {
        throw new Error("glewlwyd did not start");
      }
      logChunks.push(`\n--- retrying on another port ---\n`);
    }

    const base = `http://127.0.0.1:${port}`;
    const api = `${base}/api`;
    const issuer = `${api}/oidc`;
    const admin = new AdminSession(api);
    await admin.login(ADMIN.username, ADMIN.password);

    for (const scope of [...USER_SCOPES.filter((s) => s !== "openid"), CLIENT_SCOPE]) {
      await admin.call("POST", "/scope/", {
        name: scope,
        display_name: scope,
        description: `${scope} (lmi tests)`,
        password_required: true,
        password_max_age: 0,
        scheme: {},
      });
    }
    await admin.call("POST", "/mod/plugin/", {
      module: "oidc",
      name: "oidc",
      display_name: "OpenID Connect (lmi tests)",
      order_rank: 0,
      enabled: true,
      parameters: { ...pluginParameters(issuer, key), ...(options.plugin ?? {}) },
    });

    const user = {
      username: "alice",
      password: "Alice-pa55-word",
      email: "alice@example.test",
      name: "Alice Tester",
    };
    await admin.call("POST", "/user/", {
      username: user.username,
      password: user.password,
      name: user.name,
      email: user.email,
      scope: USER_SCOPES,
      enabled: true,
    });

    const basic = { id: "svc-cli_v1.0~x", secret: "s3cr-et_.~Z" };
    const odd = { id: "svc+odd%:/id", secret: "p+s%:/w" };
    const oddBasic = { id: "svc+odd%/id", secret: "p+s%:/w" };
    const publicClient = {
      id: "lmi-cli-public",
      redirectUris: options.redirectUris ?? ["http://127.0.0.1/callback"],
    };
    const confidential = (c: GlewlwydClient, grants: string[]) => ({
      client_id: c.id,
      name: c.id,
      enabled: true,
      confidential: true,
      client_secret: c.secret,
      authorization_type: grants,
      token_endpoint_auth_method: ["client_secret_basic", "client_secret_post"],
      redirect_uri: [],
      scope: [CLIENT_SCOPE],
    });
    await admin.call(
      "POST",
      "/client/",
      confidential(basic, ["client_credentials", "password", "refresh_token", "delete_token"]),
    );
    await admin.call("POST", "/client/", confidential(odd, ["client_credentials"]));
    await admin.call("POST", "/client/", confidential(oddBasic, ["client_credentials"]));
    const publicBody = (redirectUris: string[]) => ({
      client_id: publicClient.id,
      name: publicClient.id,
      enabled: true,
      confidential: false,
      authorization_type: ["code", "refresh_token", "device_authorization", "delete_token"],
      token_endpoint_auth_method: ["none"],
      redirect_uri: redirectUris,
      scope: [],
    });
    await admin.call("POST", "/client/", publicBody(publicClient.redirectUris));
    const web = { id: "lmi-cli-web_1.0", secret: "w3b-s3cret_.~" };
    await admin.call("POST", "/client/", {
      ...confidential(web, ["device_authorization", "refresh_token", "delete_token"]),
      scope: [],
    });

    const discoveryUrl = `${issuer}/.well-known/openid-configuration`;
    if (!(await waitUntil(discoveryUrl, child, 5_000))) {
      throw new Error(`glewlwyd discovery ${discoveryUrl} did not answer 200`);
    }

    return {
      url: base,
      issuer,
      discoveryUrl,
      adminUrl: api,
      admin: { ...ADMIN },
      clients: { basic, odd, oddBasic, public: publicClient, web },
      user,
      scopes: [...USER_SCOPES],
      serviceScope: CLIENT_SCOPE,
      async setRedirectUris(uris: string[]) {
        await admin.call("PUT", `/client/${encodeURIComponent(publicClient.id)}`, publicBody(uris));
        publicClient.redirectUris = [...uris];
      },
      dir,
      log,
      login: (page, opts) => loginOnPage(page, base, user, opts?.timeout ?? 15_000),
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (err) {
    const output = log();
    await stop();
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message}\n--- glewlwyd log ---\n${output.slice(-8000)}`, { cause: err });
  }
}

/** Poll `url` until it answers 200; false if the process exits or time runs out. */
async function waitUntil(url: string, child: Deno.ChildProcess, ms: number): Promise<boolean> {
  let exited = false;
  child.status.then(() => exited = true, () => exited = true);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !exited) {
    try {
      const res = await fetch(url, { redirect: "manual" });
      await res.body?.cancel();
      if (res.status === 200) return true;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** Cookie session on glewlwyd's REST API as a g_admin user. */
class AdminSession {
  #cookie = "";
  #credentials = { username: "", password: "" };
  constructor(readonly api: string) {}

  async login(username: string, password: string): Promise<void> {
    this.#credentials = { username, password };
    const res = await fetch(`${this.api}/auth/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
    const text = await res.text();
    const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    if (res.status !== 200 || !cookie) {
      throw new Error(`glewlwyd admin login: ${res.status} ${text}`);
    }
    this.#cookie = cookie;
  }

  /** One admin call; logs in again once on 401 (g_admin needs a password younger than 600 s). */
  async call(method: string, path: string, body?: unknown, retried = false): Promise<unknown> {
    const res = await fetch(`${this.api}${path}`, {
      method,
      headers: { "content-type": "application/json", cookie: this.#cookie },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status === 401 && !retried) {
      await this.login(this.#credentials.username, this.#credentials.password);
      return this.call(method, path, body, true);
    }
    if (res.status !== 200) {
      throw new Error(`glewlwyd admin ${method} ${path}: ${res.status} ${text}`);
    }
    return text ? JSON.parse(text) : undefined;
  }
}

/** Whether the logged-in user of `page` has granted `client` every scope in `scope`. */
async function allGranted(page: Page, base: string, client: string, scope: string) {
  if (!client || !scope) return false;
  const res = await page.request.get(
    `${base}/api/auth/grant/${encodeURIComponent(client)}/${encodeURIComponent(scope)}`,
    { failOnStatusCode: false },
  );
  if (!res.ok()) return false;
  const body = await res.json() as { scope?: { granted?: boolean }[] };
  return (body.scope ?? []).length > 0 && (body.scope ?? []).every((s) => s.granted === true);
}

/**
 * Drive glewlwyd's login app (login.html): the password form, then the "Client access grant" form
 * (tick every scope, "Grant access"), then "Continue", until the browser leaves login.html.
 */
async function loginOnPage(
  page: Page,
  base: string,
  user: { username: string; password: string },
  timeout: number,
): Promise<void> {
  const deadline = Date.now() + timeout;
  const onLogin = () => page.url().startsWith(`${base}/login.html`);
  const onGlewlwyd = () => page.url().startsWith(`${base}/`);
  // The authorize endpoint answers with a redirect to login.html; wait for the app to load.
  while (Date.now() < deadline && onGlewlwyd() && !onLogin()) await page.waitForTimeout(50);
  let step = "";
  while (Date.now() < deadline) {
    // The device flow ends on login.html itself, with its "connected" message.
    if (onLogin() && new URL(page.url()).searchParams.get("prompt") === "deviceComplete") return;
    if (!onLogin()) {
      if (onGlewlwyd() && /\/login\.html|\/api\/[^/]+\/(auth|device)/.test(page.url())) {
        await page.waitForTimeout(50);
        continue;
      }
      return;
    }
    const username = page.locator("#username");
    const grantButton = page.getByRole("button", { name: "Grant access" });
    const continueButton = page.getByRole("button", { name: "Continue" });
    if (await username.isVisible() && step !== "password") {
      step = "password";
      await username.fill(user.username);
      await page.locator("#password").fill(user.password);
      await page.locator("#loginbut").click();
    } else if (!(await username.isVisible())) {
      // "Continue" shows before the scope list has rendered, and clicking it early makes
      // glewlwyd issue a code for the scopes granted so far (just openid), silently. So ask the
      // server (with the page's session cookie) whether every requested scope is granted.
      const at = new URL(page.url());
      const clientId = at.searchParams.get("client_id") ?? "";
      const scope = at.searchParams.get("scope") ?? "";
      if (await allGranted(page, base, clientId, scope)) {
        if (await continueButton.isVisible() && await continueButton.isEnabled()) {
          step = "continue";
          await continueButton.click();
        }
      } else {
        const boxes = scope.split(/\s+/).filter((s) => s && s !== "openid")
          .map((s) => page.locator(`input[id="grant-${s}"]`));
        let ready = await grantButton.isVisible();
        for (const box of boxes) ready &&= await box.isVisible();
        if (ready) {
          step = "grant";
          for (const box of boxes) await box.check({ timeout: 5000 });
          await Promise.all([
            page.waitForResponse(
              (r) => r.request().method() === "PUT" && r.url().includes("/api/auth/grant/"),
              { timeout: 5000 },
            ),
            grantButton.click(),
          ]);
        }
      }
    }
    await page.waitForTimeout(100);
  }
  throw new Error(`glewlwyd login did not finish within ${timeout} ms (at ${page.url()})`);
}
