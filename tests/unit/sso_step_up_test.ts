/**
 * Step-up for people, in process: `lmi request` refused by an API's step-up challenge exits 4 with
 * the command that satisfies it; `lmi login sso --scope/--acr-values/--max-age` put them in the
 * authorization request (the device flow's too); the code exchange checks `auth_time` against
 * `max_age` (openid-client, in lmi's words) and lmi does for any sign-in; the session records the
 * ID token's `acr` and `auth_time`, and `lmi auth status` shows them.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import {
  failed,
  IDP,
  serviceEnv,
  ssoAppConfig,
  storeSession,
  world,
} from "../helpers/in_process.ts";
import { connWithKey, fakeDeps, testLogger } from "../helpers/fakes.ts";
import { loadJose } from "../../src/deps.ts";
import { sessionFrom, type SignInSso } from "../../src/sso/login.ts";
import { type SsoSession } from "../../src/sso/session.ts";
import { AuthError } from "../../src/errors.ts";
import { ssoConnection } from "../../src/sso/oidc.ts";
import { authorizationRequest, exchangeCode } from "../../src/oauth/user_grants.ts";

/** Store a session at the fake SSO IdP for alice, valid until 01:00 (the fake clock: 00:00). */
function signedIn(env: Record<string, string>, extra: Partial<SsoSession> = {}) {
  return storeSession(env, extra);
}

/** The fake API answers `path` with a challenge, counting the requests. */
function challenging(
  w: Awaited<ReturnType<typeof world>>,
  path: string,
  status: number,
  header: string,
): { requests: number } {
  const seen = { requests: 0 };
  w.answers.set(`${IDP.apiUrl}${path}`, () => {
    seen.requests++;
    return Response.json({ error: "refused" }, { status, headers: { "www-authenticate": header } });
  });
  return seen;
}

Deno.test("lmi request: a step-up challenge exits 4 with the command that satisfies it", async (t) => {
  await using w = await world(ssoAppConfig() + serviceEnv("svc"));
  await signedIn(w.env);

  await t.step(
    "insufficient_user_authentication: lmi login sso --acr-values --max-age",
    async () => {
      const api = challenging(
        w,
        "/stepup",
        401,
        'Bearer error="insufficient_user_authentication", ' +
          'error_description="A different authentication level is required", ' +
          'acr_values="phr", max_age=300',
      );
      assertEquals(
        await w.lmi("request", "-e", "app", "/stepup"),
        failed(
          4,
          `HTTP 401 from GET ${IDP.apiUrl}/stepup: the API requires a stronger or more recent ` +
            'sign-in (acr_values "phr", max_age 5m): A different authentication level is required',
          "sign in again as the API asks: lmi login sso --acr-values phr --max-age 5m",
        ),
      );
      assertEquals(api.requests, 1, "not retried with a new token of the same session");
      assertEquals(w.ssoRefreshes, 0, "the session was not refreshed for it");
    },
  );
  await t.step("insufficient_scope on an sso env: lmi login sso --scope", async () => {
    challenging(w, "/scoped", 403, 'Bearer error="insufficient_scope", scope="admin"');
    assertEquals(
      await w.lmi("request", "-e", "app", "/scoped"),
      failed(
        4,
        `HTTP 403 from GET ${IDP.apiUrl}/scoped: the API requires the scope "admin", which the ` +
          "token lacks",
        "sign in with the scope the API needs: lmi login sso --scope admin",
      ),
    );
  });
  await t.step("insufficient_scope on a service env: the env's scopes", async () => {
    const r = await w.lmi("request", "-e", "svc", "/scoped");
    assertEquals(r.code, 4, r.stderr);
    assertMatch(
      r.stderr,
      /\nhint: add "admin" to scopes in \[envs\.svc\.auth\]; lmi then gets a new token with it\n$/,
    );
  });
  await t.step("-i and --json change nothing: no body, the same exit", async () => {
    const r = await w.lmi("request", "-i", "--json", "-e", "app", "/scoped");
    assertEquals([r.code, r.stdout], [4, ""]);
  });
});

Deno.test("lmi login sso --scope, --acr-values, --max-age: the authorization request", async (t) => {
  await using w = await world(ssoAppConfig());
  const LOGIN = ["login", "sso", "--no-browser", "--timeout", "1s"];
  const printedUrl = (stderr: string): URL => {
    const m = /^ {2}(https:\/\/\S+\/auth\?\S+)$/m.exec(stderr);
    assert(m, `an authorization URL in:\n${stderr}`);
    return new URL(m[1]!);
  };

  await t.step("sent as acr_values, max_age (seconds) and added scopes", async () => {
    const r = await w.lmi(
      ...LOGIN,
      "--acr-values",
      "phr  phrh",
      "--max-age",
      "5m",
      "--scope",
      "admin",
      "--scope",
      "api.write openid",
    );
    assertEquals(r.code, 4, r.stderr); // nobody signed in within 1s
    const url = printedUrl(r.stderr);
    assertEquals(
      ["acr_values", "max_age", "scope", "prompt"].map((k) => url.searchParams.get(k)),
      ["phr phrh", "300", "openid profile email offline_access admin api.write", "consent"],
    );
  });
  await t.step("without them: none of these parameters", async () => {
    const url = printedUrl((await w.lmi(...LOGIN)).stderr);
    assertEquals([url.searchParams.get("acr_values"), url.searchParams.get("max_age")], [
      null,
      null,
    ]);
    assertEquals(url.searchParams.get("scope"), "openid profile email offline_access");
  });
  await t.step("--max-age 0 asks for a new authentication", async () => {
    const url = printedUrl((await w.lmi(...LOGIN, "--max-age", "0")).stderr);
    assertEquals(url.searchParams.get("max_age"), "0");
  });
  await t.step("the device flow sends them too", async () => {
    await w.writeConfig(ssoAppConfig(IDP.ssoDeviceIssuer));
    let sent: URLSearchParams | undefined;
    w.answers.set(`${IDP.ssoDeviceIssuer}/device/auth`, async (request) => {
      sent = new URLSearchParams(await request.text());
      return Response.json({ error: "access_denied" }, { status: 400 });
    });
    const r = await w.lmi(
      "login",
      "sso",
      "--device",
      "--acr-values",
      "phr",
      "--max-age",
      "90s",
      "--scope",
      "admin",
    );
    assertEquals(r.code, 4, r.stderr);
    assertEquals(
      ["acr_values", "max_age", "scope"].map((k) => sent?.get(k)),
      ["phr", "90", "openid profile email offline_access admin"],
    );
    await w.writeConfig(ssoAppConfig());
  });
  await t.step("values lmi cannot send are usage errors (exit 2)", async () => {
    for (
      const [flag, value] of [
        ["--scope", 'a"b'],
        ["--scope", " "],
        ["--acr-values", "x\\y"],
        ["--acr-values", ""],
        ["--max-age", "soon"],
        ["--max-age", "48h"],
      ]
    ) {
      const r = await w.lmi(...LOGIN, flag!, value!);
      assertEquals(r.code, 2, `${flag} ${value}: ${r.stderr}`);
      assertMatch(r.stderr, new RegExp(`^lmi: error: ${flag}: `));
    }
  });
});

Deno.test("lmi auth status: the sign-in's acr and time, when the ID token gave them", async () => {
  await using w = await world(ssoAppConfig());
  await signedIn(w.env, { acr: "phr", auth_time: "2025-12-31T23:55:00.000Z" });
  const r = await w.lmi("auth", "status");
  assertEquals(r.code, 0, r.stderr);
  assertEquals(
    r.stdout.split("\n")[1],
    "SSO sign-in: 5m00s ago (2025-12-31T23:55:00.000Z), acr phr",
  );
  const json = JSON.parse((await w.lmi("auth", "status", "--json")).stdout);
  assertEquals([json.sso.acr, json.sso.auth_time], ["phr", "2025-12-31T23:55:00.000Z"]);

  await signedIn(w.env);
  const plain = await w.lmi("auth", "status");
  assert(!plain.stdout.includes("SSO sign-in"), plain.stdout);
  const none = JSON.parse((await w.lmi("auth", "status", "--json")).stdout);
  assertEquals([none.sso.acr, none.sso.auth_time], [undefined, undefined]);
});

Deno.test("the session records acr and auth_time; a sign-in checks what it asked for", async (t) => {
  const jose = await loadJose();
  const ISSUER = "https://idp.test";
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
  const jwk = { ...await jose.exportJWK(publicKey), kid: "k1", alg: "ES256" };
  const conn = connWithKey(ISSUER, jwk);
  const nowS = Math.floor(Date.now() / 1000);
  const idToken = (claims: Record<string, unknown>) =>
    new jose.SignJWT({ iss: ISSUER, sub: "u", aud: "lmi", iat: nowS, exp: nowS + 300, ...claims })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .sign(privateKey);
  const sso = (asked: Partial<SignInSso> = {}): SignInSso => ({
    name: "default",
    issuer: ISSUER,
    clientId: "lmi",
    scopes: ["openid"],
    redirectPort: 0,
    redirectHost: "127.0.0.1",
    ...asked,
  });
  const make = async (
    claims: Record<string, unknown>,
    asked: Partial<SignInSso> = {},
    previous?: SsoSession,
  ) => {
    const deps = fakeDeps({ now: Date.now() });
    const session = await sessionFrom(
      { access_token: "at", token_type: "Bearer", id_token: await idToken(claims), expires_in: 60 },
      sso(asked),
      conn,
      { deps, log: testLogger(deps) },
      previous,
    );
    return { session, stderr: deps.stderr.text() };
  };
  const at = (s: number) => new Date(s * 1000).toISOString();

  await t.step("recorded when the ID token has them, absent otherwise", async () => {
    const { session } = await make({ acr: "phr", auth_time: nowS - 60 });
    assertEquals([session.acr, session.auth_time], ["phr", at(nowS - 60)]);
    const bare = (await make({})).session;
    assertEquals(["acr" in bare, "auth_time" in bare], [false, false]);
  });
  await t.step("an acr among those asked for: no warning", async () => {
    const { stderr } = await make({ acr: "phr" }, { acrValues: "phrh phr" });
    assertEquals(stderr, "");
  });
  await t.step("another acr, or none, than asked for: a warning (RFC 9470 §4)", async () => {
    const other = await make({ acr: "pwd" }, { acrValues: "phr" });
    assertEquals(
      other.stderr,
      'lmi: warning: the IdP signed you in with acr "pwd", not one of --acr-values "phr" asked ' +
        "for; an API that asks for it will refuse this session\n",
    );
    assertEquals(other.session.acr, "pwd", "recorded as the IdP said");
    const none = await make({}, { acrValues: "phr" });
    assertMatch(none.stderr, /signed you in without an acr, not one of --acr-values "phr"/);
  });
  await t.step(
    "max_age: an auth_time within it passes, an older or missing one fails",
    async () => {
      await make({ auth_time: nowS - 200 }, { maxAge: 300 });
      const old = await assertRejects(
        () => make({ auth_time: nowS - 900 }, { maxAge: 300 }),
        AuthError,
      );
      assertEquals(old.code, "SIGN_IN_TOO_OLD");
      assertMatch(
        old.message,
        /^the IdP signed you in 15m0\ds ago, longer than --max-age 5m allows$/,
      );
      const missing = await assertRejects(() => make({}, { maxAge: 300 }), AuthError);
      assertMatch(missing.message, /no auth_time, though --max-age 5m asked for one/);
    },
  );
  await t.step(
    "a refresh keeps what the sign-in recorded unless the new ID token says",
    async () => {
      const first = (await make({ acr: "phr", auth_time: nowS - 60 })).session;
      const kept = await make({ sub: "u" }, { maxAge: 1, acrValues: "x" }, first);
      assertEquals([kept.session.acr, kept.session.auth_time, kept.stderr], [
        "phr",
        at(nowS - 60),
        "",
      ]);
      const renewed = await make({ acr: "phrh", auth_time: nowS - 5 }, {}, first);
      assertEquals([renewed.session.acr, renewed.session.auth_time], ["phrh", at(nowS - 5)]);
    },
  );
});

Deno.test("the code exchange: openid-client checks auth_time against max_age", async (t) => {
  const jose = await loadJose();
  const ISSUER = "https://sso.test";
  const { privateKey } = await jose.generateKeyPair("ES256");
  let idClaims: Record<string, unknown> = {};
  let nonce = "";
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new Request(input, init).url;
    if (url === `${ISSUER}/.well-known/openid-configuration`) {
      return Response.json({
        issuer: ISSUER,
        authorization_endpoint: `${ISSUER}/auth`,
        token_endpoint: `${ISSUER}/token`,
        id_token_signing_alg_values_supported: ["ES256"],
      });
    }
    if (url === `${ISSUER}/token`) {
      const now = Math.floor(Date.now() / 1000);
      const idToken = await new jose.SignJWT({
        iss: ISSUER,
        aud: "lmi",
        sub: "u",
        iat: now,
        exp: now + 300,
        nonce,
        ...idClaims,
      }).setProtectedHeader({ alg: "ES256" }).sign(privateKey);
      return Response.json({
        access_token: "at",
        token_type: "Bearer",
        expires_in: 60,
        id_token: idToken,
      });
    }
    return new Response("no", { status: 404 });
  };
  const deps = fakeDeps({ fetch, now: Date.now() });
  const log = testLogger(deps);
  const conn = await ssoConnection(
    {
      name: "default",
      issuer: ISSUER,
      clientId: "lmi",
      scopes: ["openid"],
      redirectPort: 0,
      redirectHost: "x",
    },
    { deps, log },
  );
  const exchange = async (claims: Record<string, unknown>, maxAge?: number) => {
    idClaims = claims;
    const pending = await authorizationRequest(conn, {
      redirectUri: "http://127.0.0.1:1/callback",
      scope: "openid",
      state: "st",
      ...(maxAge !== undefined ? { maxAge } : {}),
    });
    nonce = pending.nonce;
    const url = new URL(pending.url);
    assertEquals(url.searchParams.get("max_age"), maxAge === undefined ? null : String(maxAge));
    return await exchangeCode(
      conn,
      new URL("http://127.0.0.1:1/callback?code=c&state=st"),
      pending,
    );
  };
  const now = Math.floor(Date.now() / 1000);

  await t.step("an auth_time within max_age passes", async () => {
    assertEquals((await exchange({ auth_time: now - 100 }, 300)).access_token, "at");
  });
  await t.step("an older one fails with lmi's own words", async () => {
    const err = await assertRejects(() => exchange({ auth_time: now - 3600 }, 300), AuthError);
    assertEquals(err.code, "SIGN_IN_TOO_OLD");
    assertMatch(err.message, /^the IdP signed you in 1h00m ago, longer than --max-age 5m allows$/);
  });
  await t.step("a missing auth_time fails", async () => {
    const err = await assertRejects(() => exchange({}, 300), AuthError);
    assertEquals(err.code, "ID_TOKEN_INVALID");
    assertMatch(err.message, /no auth_time, though --max-age 5m asked for one/);
  });
  await t.step("without max_age, auth_time is not checked", async () => {
    assertEquals((await exchange({ auth_time: now - 86_400 })).access_token, "at");
  });
});
