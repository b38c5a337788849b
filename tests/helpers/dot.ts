/**
 * Django OAuth Toolkit (Debian's python3-django-oauth-toolkit 1.7, Django 3.2, oauthlib 3.2) as a
 * real third-party OAuth 2.0 / OIDC server for tests. The project under tests/helpers/dot/ only
 * configures DOT (settings, urls, a login template); every OAuth answer is DOT's and oauthlib's.
 * It is served by waitress on 127.0.0.1 on a port the OS picks, with its database and RSA key in
 * a temp dir removed on dispose.
 *
 * What this DOT does (see tests/integration/dot_smoke_test.ts for the evidence):
 * - issuer is `http://127.0.0.1:PORT/o` (no trailing slash); discovery answers only at
 *   `<issuer>/.well-known/openid-configuration/` (trailing slash): the RFC 8414 URL without the
 *   slash gets Django's APPEND_SLASH `301` with a relative `Location`. Every endpoint ends in `/`.
 * - discovery has no revocation_endpoint, introspection_endpoint, grant_types_supported,
 *   scopes_supported nor code_challenge_methods_supported: use `revocationUrl`/`introspectionUrl`.
 * - access and refresh tokens are opaque random strings; ID tokens are RS256 with a `kid`, and
 *   carry only `sub` (the user's numeric id) besides the protocol claims.
 * - client_secret_basic is decoded with Python's `unquote_plus`: the RFC 6749 §2.3.1
 *   form-urlencoded variant works for every id/secret; raw (unencoded) credentials work only when
 *   they contain none of `+`, `%`, `:` (a raw `+` becomes a space, a `:` in the id splits wrong).
 * - client_secret_post works. Secrets are stored in plaintext (DOT 1.7 has no hashing).
 * - loopback redirect URIs registered as `http://127.0.0.1/PATH` (no port) accept any port
 *   (RFC 8252 §7.3); `localhost` is not treated as loopback, and a registered port is exact.
 * - PKCE is required (PKCE_REQUIRED=True); refresh tokens rotate, a used one is `invalid_grant`.
 * - introspection (RFC 7662) needs client authentication (or a token with scope `introspection`).
 *
 * @module
 */
import type { launchChromium } from "./browser.ts";
import { LINUX, type Needs } from "./components.ts";
import { childEnv } from "../../scripts/child_env.ts";

/** Debian's interpreter: the `python3` first on PATH may be another one without Django. */
export const DOT_PYTHON = "/usr/bin/python3";
const IMPORTS = ["django", "oauth2_provider", "oauthlib", "jwcrypto", "waitress", "cryptography"];
const SERVE_PY = decodeURIComponent(new URL("./dot/serve.py", import.meta.url).pathname);

type Page = Awaited<ReturnType<Awaited<ReturnType<typeof launchChromium>>["newPage"]>>;

export interface DotClient {
  id: string;
  secret: string;
}

export interface DotPublicClient {
  id: string;
  redirectUris: string[];
}

export interface DotUser {
  username: string;
  password: string;
  email: string;
  /** The `sub` of this user's ID tokens (Django's user id). */
  sub: string;
}

export interface DotOptions {
  /** Redirect URIs registered for the public and web clients; default `http://127.0.0.1/callback`. */
  redirectUris?: string[];
  /** Access token lifetime (`expires_in`); default 3600. */
  accessTokenExpireSeconds?: number;
}

export interface Dot {
  /** `http://127.0.0.1:PORT/o`, exactly as discovery and the ID tokens' `iss` say it. */
  issuer: string;
  /** Where discovery answers 200: `<issuer>/.well-known/openid-configuration/`. */
  discoveryUrl: string;
  authorizeUrl: string;
  tokenUrl: string;
  /** RFC 7009 revocation (not advertised in discovery). */
  revocationUrl: string;
  /** RFC 7662 introspection (not advertised in discovery); needs client authentication. */
  introspectionUrl: string;
  userinfoUrl: string;
  jwksUri: string;
  clients: {
    /** `svc-cli_v1.0~x`: confidential, client_credentials; the secret contains `-_.~`. */
    basic: DotClient;
    /** `pw-cli_v1.0~x`: confidential, password grant (+ refresh_token). */
    password: DotClient;
    /** `svc+odd%:/id`: confidential, client_credentials; id and secret contain `+%:/`. */
    odd: DotClient;
    /** `lmi-public`: public, authorization_code with PKCE (+ refresh_token), ID tokens RS256. */
    public: DotPublicClient;
    /** `web-cli_v1.0~x`: confidential, authorization_code with PKCE, same redirect URIs. */
    web: DotClient & { redirectUris: string[] };
  };
  /** alice, the only user. */
  user: DotUser;
  /** What the server printed so far (DOT logs failed client authentication at DEBUG). */
  output(): string;
  /**
   * On a page at DOT's authorize URL (which sends a signed-out browser to the Django login form):
   * sign in as `user` if asked, then click "Authorize" on DOT's consent page; resolves once the
   * browser has left DOT's origin (to the redirect URI).
   */
  login(page: Page): Promise<void>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

let availability: string | null | undefined;

/** Why DOT can't run here (null when it can): Debian's python3 or its packages are missing. */
export function dotMissing(): string | null {
  if (availability !== undefined) return availability;
  let reason: string | null = null;
  try {
    const out = new Deno.Command(DOT_PYTHON, {
      args: ["-c", `import ${IMPORTS.join(", ")}`],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1);
      reason = `${DOT_PYTHON} cannot import the server (${err}); ` +
        "apt-get install python3-django-oauth-toolkit python3-waitress";
    }
  } catch (e) {
    reason = `${DOT_PYTHON} does not run (${e instanceof Error ? e.message : e})`;
  }
  return availability = reason;
}

/** What startDot needs (for ignoreUnless): Debian's python3 with DOT and waitress. */
export const NEEDS_DOT: Needs = {
  os: LINUX,
  why: "Debian's Django OAuth Toolkit packages",
  commands: [DOT_PYTHON],
  probe: () => {
    const reason = dotMissing();
    return reason === null ? undefined : `${reason} (see .ci/packages)`;
  },
};

const USER = {
  username: "alice",
  password: "alice-Pa55_word",
  email: "alice@example.test",
  first_name: "Alice",
  last_name: "Liddell",
};

const CLIENTS = {
  basic: { id: "svc-cli_v1.0~x", secret: "svc-S3cret_v1.0~x" },
  password: { id: "pw-cli_v1.0~x", secret: "pw-S3cret_v1.0~x" },
  odd: { id: "svc+odd%:/id", secret: "p+s%:/w" },
  public: { id: "lmi-public" },
  web: { id: "web-cli_v1.0~x", secret: "web-S3cret_v1.0~x" },
};

/** Per test process: a migrated database and an RSA key, copied by every later start. */
let cacheDir: string | undefined;
function processCache(): string {
  if (cacheDir === undefined) {
    const dir = Deno.makeTempDirSync({ prefix: "lmi-dot-cache-" });
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch { /* gone */ }
    });
    cacheDir = dir;
  }
  return cacheDir;
}

/** Start DOT; throws with the server's output when it does not come up. */
export async function startDot(options: DotOptions = {}): Promise<Dot> {
  const reason = dotMissing();
  if (reason !== null) throw new Error(reason);
  const redirectUris = options.redirectUris ?? ["http://127.0.0.1/callback"];
  const cache = processCache();
  const state = await Deno.makeTempDir({ prefix: "lmi-dot-" });
  const app = (
    name: string,
    clientId: string,
    clientSecret: string,
    clientType: "confidential" | "public",
    grant: "client-credentials" | "password" | "authorization-code",
    uris: string[] = [],
  ) => ({
    name,
    client_id: clientId,
    client_secret: clientSecret,
    client_type: clientType,
    authorization_grant_type: grant,
    redirect_uris: uris,
    algorithm: "RS256",
  });
  await Deno.writeTextFile(
    `${state}/config.json`,
    JSON.stringify({
      users: [USER],
      applications: [
        app("svc", CLIENTS.basic.id, CLIENTS.basic.secret, "confidential", "client-credentials"),
        app("pw", CLIENTS.password.id, CLIENTS.password.secret, "confidential", "password"),
        app("odd", CLIENTS.odd.id, CLIENTS.odd.secret, "confidential", "client-credentials"),
        app("public", CLIENTS.public.id, "", "public", "authorization-code", redirectUris),
        app(
          "web",
          CLIENTS.web.id,
          CLIENTS.web.secret,
          "confidential",
          "authorization-code",
          redirectUris,
        ),
      ],
      template_db: `${cache}/migrated.sqlite3`,
      rsa_key_cache: `${cache}/oidc_rsa_key.pem`,
      access_token_expire_seconds: options.accessTokenExpireSeconds ?? 3600,
    }),
  );

  const child = new Deno.Command(DOT_PYTHON, {
    // -B: no __pycache__ written into the repository's tests/helpers/dot/.
    args: ["-B", SERVE_PY, state],
    cwd: state,
    clearEnv: true,
    env: childEnv({
      home: state,
      path: "/usr/bin:/bin",
      vars: { LANG: "C.UTF-8", PYTHONUNBUFFERED: "1" },
    }),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  let log = "";
  let listening: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => listening = resolve);
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      log += chunk;
      const m = log.match(/^DOT_LISTENING (http:\/\/\S+)/m);
      if (m) listening(m[1]!);
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await drained.catch(() => {});
      await Deno.remove(state, { recursive: true }).catch(() => {});
    })();

  const fail = async (why: string): Promise<never> => {
    await stop();
    throw new Error(`Django OAuth Toolkit did not start: ${why}\n--- server output ---\n${log}`);
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  const base = await Promise.race([
    url,
    child.status.then((s) => `exit ${s.code}`),
    new Promise<string>((r) => timer = setTimeout(() => r("timeout"), 30_000)),
  ]);
  clearTimeout(timer);
  if (!base.startsWith("http")) return await fail(base === "timeout" ? "no answer in 30 s" : base);

  const discoveryUrl = `${base}/o/.well-known/openid-configuration/`;
  // deno-lint-ignore no-explicit-any
  let discovery: any;
  try {
    const res = await fetch(discoveryUrl);
    discovery = await res.json();
    if (res.status !== 200) throw new Error(`discovery answered ${res.status}`);
  } catch (e) {
    return await fail(e instanceof Error ? e.message : String(e));
  }
  const issuer: string = discovery.issuer;

  const dot: Dot = {
    issuer,
    discoveryUrl,
    authorizeUrl: discovery.authorization_endpoint,
    tokenUrl: discovery.token_endpoint,
    revocationUrl: `${issuer}/revoke_token/`,
    introspectionUrl: `${issuer}/introspect/`,
    userinfoUrl: discovery.userinfo_endpoint,
    jwksUri: discovery.jwks_uri,
    clients: {
      basic: { ...CLIENTS.basic },
      password: { ...CLIENTS.password },
      odd: { ...CLIENTS.odd },
      public: { ...CLIENTS.public, redirectUris: [...redirectUris] },
      web: { ...CLIENTS.web, redirectUris: [...redirectUris] },
    },
    user: { username: USER.username, password: USER.password, email: USER.email, sub: "1" },
    output: () => log,
    async login(page) {
      const origin = new URL(issuer).origin;
      const consent = "#authorizationForm input[name=allow]";
      await page.waitForSelector(`#login-form, ${consent}`);
      if (await page.$("#login-form")) {
        await page.fill("#id_username", USER.username);
        await page.fill("#id_password", USER.password);
        await Promise.all([page.waitForURL(/\/authorize\//), page.click("#login-submit")]);
      }
      await Promise.all([
        page.waitForURL((u) => u.origin !== origin, { waitUntil: "commit" }),
        page.click(consent),
      ]);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
  return dot;
}
