/**
 * The development IdP (scripts/dev_idp/) over real HTTP: oidc-provider in this process, plain
 * fetch with form bodies, no mocks.
 */
import { Buffer } from "node:buffer";
import { assert, assertEquals, assertMatch, assertNotEquals } from "../helpers/assert.ts";
import { jose } from "../../scripts/deps.ts";
import { type Answer, answer } from "../helpers/answer.ts";
import { type DevIdp, startDevIdp } from "../../scripts/dev_idp/mod.ts";

function basicAuth(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s);
  return `Basic ${btoa(`${enc(id)}:${enc(secret)}`)}`;
}

/** POST a form to the token endpoint, authenticating with client_secret_basic when asked. */
async function tokenRequest(
  idp: DevIdp,
  params: Record<string, string>,
  basic?: { id: string; secret: string },
): Promise<Answer> {
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
  };
  if (basic) headers.authorization = basicAuth(basic.id, basic.secret);
  return answer(
    await fetch(idp.tokenUrl, { method: "POST", headers, body: new URLSearchParams(params) }),
  );
}

function clientCredentials(idp: DevIdp, extra: Record<string, string> = {}): Promise<Answer> {
  return tokenRequest(
    idp,
    { grant_type: "client_credentials", scope: "api.read", ...extra },
    idp.clients.basic,
  );
}

function passwordGrant(idp: DevIdp, extra: Record<string, string> = {}): Promise<Answer> {
  return tokenRequest(idp, {
    grant_type: "password",
    username: idp.users.alice.username,
    password: idp.users.alice.password,
    scope: "api.read api.write",
    ...extra,
  }, idp.clients.password);
}

function isJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);
}

function decodePayload(token: string): Record<string, unknown> {
  return jose.decodeJwt(token) as Record<string, unknown>;
}

async function verify(idp: DevIdp, token: string): Promise<jose.JWTVerifyResult> {
  const jwks = jose.createRemoteJWKSet(new URL(idp.jwksUri));
  return await jose.jwtVerify(token, jwks, { issuer: idp.issuer, audience: idp.resource });
}

function api(idp: DevIdp, path: string, init: RequestInit = {}, token?: string) {
  const headers = new Headers(init.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  return fetch(`${idp.apiUrl}${path}`, { ...init, headers }).then(answer);
}

Deno.test("dev IdP: tokens, faults, discovery and the protected API", async (t) => {
  await using idp = await startDevIdp();

  await t.step("client_credentials (basic and post) give a JWT verified via jwks_uri", async () => {
    const basic = await clientCredentials(idp);
    assertEquals(basic.status, 200, basic.text);
    assertEquals(basic.json.token_type, "Bearer");
    assertEquals(basic.json.expires_in, 3600);
    assertEquals(basic.json.scope, "api.read");
    assert(isJwt(basic.json.access_token), "a JWT access token");
    const { payload, protectedHeader } = await verify(idp, basic.json.access_token);
    assertEquals(payload.aud, idp.resource);
    assertEquals(payload.iss, idp.issuer);
    assertEquals(payload.client_id, idp.clients.basic.id);
    assertEquals(payload.scope, "api.read");
    assertEquals((payload.exp ?? 0) - (payload.iat ?? 0), 3600);
    assertEquals(protectedHeader.typ, "at+jwt");

    const post = await tokenRequest(idp, {
      grant_type: "client_credentials",
      client_id: idp.clients.post.id,
      client_secret: idp.clients.post.secret,
      scope: "api.read api.write",
    });
    assertEquals(post.status, 200, post.text);
    const verified = await verify(idp, post.json.access_token);
    assertEquals(verified.payload.client_id, idp.clients.post.id);
    assertEquals(verified.payload.scope, "api.read api.write");
  });

  await t.step("a wrong client secret gives 401 invalid_client", async () => {
    const basic = await tokenRequest(idp, { grant_type: "client_credentials" }, {
      id: idp.clients.basic.id,
      secret: "not-the-secret",
    });
    assertEquals([basic.status, basic.json.error], [401, "invalid_client"]);
    const post = await tokenRequest(idp, {
      grant_type: "client_credentials",
      client_id: idp.clients.post.id,
      client_secret: "not-the-secret",
    });
    assertEquals([post.status, post.json.error], [401, "invalid_client"]);
  });

  await t.step(
    "resource urn:lmi:opaque gives an opaque token (introspection knows it)",
    async () => {
      const r = await clientCredentials(idp, { resource: idp.opaqueResource });
      assertEquals(r.status, 200, r.text);
      assert(!r.json.access_token.includes("."), `not a JWT: ${r.json.access_token}`);
      assertEquals(r.json.expires_in, 3600);
      const intro = await answer(
        await fetch(`${idp.issuer}/token/introspection`, {
          method: "POST",
          headers: { authorization: basicAuth(idp.clients.basic.id, idp.clients.basic.secret) },
          body: new URLSearchParams({ token: r.json.access_token }),
        }),
      );
      assertEquals(intro.status, 200, intro.text);
      assertEquals([intro.json.active, intro.json.aud], [true, idp.opaqueResource]);
    },
  );

  await t.step("password grant: JWT access token and a refresh token", async () => {
    const r = await passwordGrant(idp);
    assertEquals(r.status, 200, r.text);
    assert(r.json.refresh_token, "a refresh token");
    assertEquals(r.json.scope, "api.read api.write");
    const { payload } = await verify(idp, r.json.access_token);
    assertEquals(payload.sub, idp.users.alice.sub);
    assertEquals(payload.client_id, idp.clients.password.id);
    assertEquals(payload.aud, idp.resource);

    // Scopes are what was asked, among those that exist.
    const narrow = await passwordGrant(idp, { scope: "api.read unknown.scope" });
    assertEquals(narrow.status, 200, narrow.text);
    assertEquals(decodePayload(narrow.json.access_token).scope, "api.read");
    assert(narrow.json.refresh_token, "a refresh token even without offline_access");
  });

  await t.step("password grant: wrong password or user gives 400 invalid_grant", async () => {
    for (const creds of [{ password: "not-her-password" }, { username: "mallory" }]) {
      const r = await passwordGrant(idp, creds);
      assertEquals(r.status, 400, r.text);
      assertEquals(r.json.error, "invalid_grant");
      assertEquals(r.json.error_description, "invalid username or password");
    }
    const missing = await tokenRequest(idp, { grant_type: "password", username: "alice" }, {
      ...idp.clients.password,
    });
    assertEquals([missing.status, missing.json.error], [400, "invalid_request"]);
    // Only pw-client may use the password grant.
    const other = await tokenRequest(idp, {
      grant_type: "password",
      username: idp.users.alice.username,
      password: idp.users.alice.password,
    }, idp.clients.basic);
    assertEquals(other.status, 400, other.text);
  });

  await t.step(
    "refresh_token grant rotates the refresh token; the old one then fails",
    async () => {
      const first = await passwordGrant(idp);
      const rt1: string = first.json.refresh_token;
      const refreshed = await tokenRequest(
        idp,
        { grant_type: "refresh_token", refresh_token: rt1 },
        idp.clients.password,
      );
      assertEquals(refreshed.status, 200, refreshed.text);
      const rt2: string = refreshed.json.refresh_token;
      assert(rt2, "a new refresh token");
      assertNotEquals(rt2, rt1);
      assertNotEquals(refreshed.json.access_token, first.json.access_token);
      const { payload } = await verify(idp, refreshed.json.access_token);
      assertEquals([payload.sub, payload.aud], [idp.users.alice.sub, idp.resource]);
      assertEquals(payload.scope, "api.read api.write");

      const reused = await tokenRequest(
        idp,
        { grant_type: "refresh_token", refresh_token: rt1 },
        idp.clients.password,
      );
      assertEquals([reused.status, reused.json.error], [400, "invalid_grant"]);
    },
  );

  await t.step("audience and unknown extra parameters are accepted", async () => {
    const both = await clientCredentials(idp, {
      audience: idp.resource,
      resource: idp.resource,
      tenant: "acme",
    });
    assertEquals(both.status, 200, both.text);
    assertEquals(decodePayload(both.json.access_token).aud, idp.resource);

    const audienceOnly = await clientCredentials(idp, { audience: idp.opaqueResource });
    assertEquals(audienceOnly.status, 200, audienceOnly.text);
    assert(!isJwt(audienceOnly.json.access_token), "audience names the resource");

    const foreign = await clientCredentials(idp, { audience: "https://elsewhere.example/" });
    assertEquals(foreign.status, 200, foreign.text);
    assertEquals(decodePayload(foreign.json.access_token).aud, idp.resource);

    const pw = await passwordGrant(idp, { audience: idp.resource, tenant: "acme" });
    assertEquals(pw.status, 200, pw.text);
    assertEquals(decodePayload(pw.json.access_token).aud, idp.resource);

    const unknownResource = await clientCredentials(idp, {
      resource: "https://elsewhere.example/",
    });
    assertEquals([unknownResource.status, unknownResource.json.error], [400, "invalid_target"]);
  });

  await t.step("stats count token requests per grant, and reset", async () => {
    idp.stats.reset();
    assertEquals([idp.stats.tokenRequests, idp.stats.byGrant], [0, {}]);
    await clientCredentials(idp);
    await clientCredentials(idp, { resource: idp.opaqueResource });
    const pw = await passwordGrant(idp);
    await tokenRequest(
      idp,
      { grant_type: "refresh_token", refresh_token: pw.json.refresh_token },
      idp.clients.password,
    );
    await tokenRequest(idp, { grant_type: "client_credentials" }, { id: "svc-basic", secret: "x" });
    assertEquals(idp.stats.tokenRequests, 5);
    assertEquals(idp.stats.byGrant, { client_credentials: 3, password: 1, refresh_token: 1 });
    idp.stats.reset();
    assertEquals([idp.stats.tokenRequests, idp.stats.byGrant], [0, {}]);
  });

  await t.step("a fault (500, body boom) is served once, then normal service resumes", async () => {
    idp.stats.reset();
    idp.faults.token({ status: 500, body: "boom" });
    const faulted = await clientCredentials(idp);
    assertEquals([faulted.status, faulted.text], [500, "boom"]);
    const normal = await clientCredentials(idp);
    assertEquals(normal.status, 200, normal.text);
    assertEquals(idp.stats.tokenRequests, 2);
    assertEquals(idp.stats.byGrant, { client_credentials: 2 });

    idp.faults.token({ times: 2 });
    const defaults = await clientCredentials(idp);
    assertEquals([defaults.status, defaults.text], [500, ""]);
    assertEquals((await clientCredentials(idp)).status, 500);
    assertEquals((await clientCredentials(idp)).status, 200);

    idp.faults.token({ status: 200, body: '{"token_type":"Bearer"}', times: Infinity });
    for (let i = 0; i < 3; i++) {
      assertEquals((await clientCredentials(idp)).text, '{"token_type":"Bearer"}');
    }
    idp.faults.token(null);
    assertEquals((await clientCredentials(idp)).status, 200);
  });

  await t.step("a fault with delayMs answers after the delay", async () => {
    idp.faults.token({
      delayMs: 200,
      status: 503,
      body: '{"error":"temporarily_unavailable"}',
      contentType: "application/json",
    });
    const start = performance.now();
    const r = await clientCredentials(idp);
    const elapsed = performance.now() - start;
    assert(elapsed >= 190, `answered after ${elapsed} ms`);
    assertEquals([r.status, r.json.error], [503, "temporarily_unavailable"]);
    assertMatch(r.headers.get("content-type") ?? "", /^application\/json/);
    const fast = performance.now();
    assertEquals((await clientCredentials(idp)).status, 200);
    assert(performance.now() - fast < 190, "the delay applies to the faulted request only");
  });

  await t.step("discovery: OpenID Connect and RFC 8414 metadata", async () => {
    const oidc = await answer(await fetch(`${idp.issuer}/.well-known/openid-configuration`));
    const oauth = await answer(await fetch(`${idp.issuer}/.well-known/oauth-authorization-server`));
    assertEquals([oidc.status, oauth.status], [200, 200]);
    for (const doc of [oidc.json, oauth.json]) {
      assertEquals(doc.issuer, idp.issuer);
      assertEquals(doc.token_endpoint, idp.tokenUrl);
      assertEquals(doc.jwks_uri, idp.jwksUri);
      for (const grant of ["client_credentials", "password", "refresh_token"]) {
        assert(doc.grant_types_supported.includes(grant), `${grant} is advertised`);
      }
    }
    assertEquals(oidc.json, oauth.json);
  });

  await t.step("the API: /public needs no token, /whoami needs a valid one", async () => {
    idp.api.reset();
    const pub = await api(idp, "/public");
    assertEquals([pub.status, pub.json], [200, { ok: true }]);

    const none = await api(idp, "/whoami");
    assertEquals([none.status, none.json.error], [401, "invalid_token"]);
    assertMatch(none.headers.get("www-authenticate") ?? "", /^Bearer error="invalid_token"/);

    const cc = (await clientCredentials(idp)).json.access_token;
    const who = await api(idp, "/whoami", {}, cc);
    assertEquals(who.status, 200, who.text);
    assertEquals(who.json, {
      sub: idp.clients.basic.id,
      client_id: idp.clients.basic.id,
      scope: "api.read",
      aud: idp.resource,
    });
    const pw = (await passwordGrant(idp)).json.access_token;
    assertEquals((await api(idp, "/whoami", {}, pw)).json.sub, idp.users.alice.sub);

    const opaque = (await clientCredentials(idp, { resource: idp.opaqueResource })).json;
    assertEquals((await api(idp, "/whoami", {}, opaque.access_token)).status, 401);
    const [h, p, s] = cc.split(".");
    const tampered = `${h}.${p}.${s.startsWith("A") ? "B" : "A"}${s.slice(1)}`;
    assertEquals((await api(idp, "/whoami", {}, tampered)).status, 401);

    idp.api.fail401(1);
    const forced = await api(idp, "/whoami", {}, cc);
    assertEquals([forced.status, forced.json.error], [401, "invalid_token"]);
    assertEquals((await api(idp, "/whoami", {}, cc)).status, 200);

    const records = idp.api.requests;
    assertEquals(records[0], {
      method: "GET",
      path: "/public",
      query: {},
      hasAuthorization: false,
      headers: records[0]!.headers,
      bodyBytes: 0,
    });
    const withToken = records[2]!;
    assertEquals([withToken.hasAuthorization, withToken.authorizationScheme], [true, "Bearer"]);
    assertEquals(withToken.headers.authorization, "[redacted]");
    assert(!JSON.stringify(records).includes(cc), "no token in the records");
  });

  await t.step("the API: /echo, /status, /bytes, /slow", async () => {
    idp.api.reset();
    const token = (await clientCredentials(idp)).json.access_token;
    const echo = await api(idp, "/echo?a=1&b=two", {
      method: "PUT",
      headers: { "content-type": "text/plain", cookie: "session=s3cret", "x-trace": "t1" },
      body: "hello",
    }, token);
    assertEquals(echo.status, 200, echo.text);
    assertEquals([echo.json.method, echo.json.path, echo.json.query], ["PUT", "/echo", {
      a: "1",
      b: "two",
    }]);
    assertEquals(echo.json.body, "hello");
    assertEquals(echo.json.headers["x-trace"], "t1");
    assertEquals(echo.json.headers.cookie, "[redacted]");
    assertEquals(echo.json.headers.authorization, "[redacted]");
    assertEquals(idp.api.requests[0]!.bodyBytes, 5);

    const limited = await api(idp, "/status/429?retry_after=7", {}, token);
    assertEquals([limited.status, limited.json], [429, { status: 429 }]);
    assertEquals(limited.headers.get("retry-after"), "7");
    const failing = await api(idp, "/status/503", {}, token);
    assertEquals([failing.status, failing.headers.get("retry-after")], [503, null]);
    assertEquals((await api(idp, "/status/503")).status, 401, "a token is required");

    const n = 3 * 64 * 1024 + 123;
    const res = await fetch(`${idp.apiUrl}/bytes/${n}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assertEquals(res.headers.get("content-type"), "application/octet-stream");
    const bytes = new Uint8Array(await res.arrayBuffer());
    assertEquals(bytes.byteLength, n);
    assertEquals([bytes[0], bytes[255], bytes[256], bytes[n - 1]], [0, 255, 0, (n - 1) % 256]);

    const start = performance.now();
    const slow = await api(idp, "/slow?ms=150", {}, token);
    assertEquals([slow.status, slow.json], [200, { ok: true }]);
    assert(performance.now() - start >= 140, "waited");
    assertEquals((await api(idp, "/nowhere", {}, token)).status, 404);
  });

  await t.step(
    "browser login: authorization code with PKCE through the login page; offline access",
    async () => {
      const jar = new Map<string, string>();
      const get = async (url: string, init: RequestInit = {}) => {
        const headers = new Headers(init.headers);
        if (jar.size) headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
        const res = await fetch(url, { ...init, headers, redirect: "manual" });
        for (const cookie of res.headers.getSetCookie()) {
          const [pair] = cookie.split(";");
          const eq = pair!.indexOf("=");
          const name = pair!.slice(0, eq);
          const value = pair!.slice(eq + 1);
          if (value && !/expires=Thu, 01 Jan 1970/i.test(cookie)) jar.set(name, value);
          else jar.delete(name);
        }
        return answer(res);
      };
      const redirectUri = "http://127.0.0.1:49152/callback"; // any loopback port is allowed
      const verifier = "dev-idp-test-verifier-0123456789abcdefghijklmnopqrstuvwxyz";
      const challenge = Buffer.from(
        await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)),
      ).toString("base64url");
      const authorizeUrl = (extra: Record<string, string>) => {
        const url = new URL(`${idp.issuer}/auth`);
        for (
          const [k, v] of Object.entries({
            client_id: idp.clients.public.id,
            response_type: "code",
            redirect_uri: redirectUri,
            scope: "openid profile api.read",
            state: "st4te",
            code_challenge: challenge,
            code_challenge_method: "S256",
            ...extra,
          })
        ) url.searchParams.set(k, v);
        return url;
      };
      /** Sign in as alice through the login page (consent is automatic); the token response. */
      const signIn = async (extra: Record<string, string> = {}, wrongPasswordFirst = false) => {
        const start = await get(authorizeUrl(extra).href);
        assertEquals(start.status, 303, start.text);
        const loginUrl = new URL(start.headers.get("location")!, idp.issuer).href;
        const page = await get(loginUrl);
        assertEquals(page.status, 200);
        assertMatch(page.text, /<form method="post" action="\/interaction\/[\w-]+\/login"/);

        const form = (password: string) => ({
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ username: idp.users.alice.username, password }),
        });
        if (wrongPasswordFirst) {
          const wrong = await get(`${loginUrl}/login`, form("nope"));
          assertEquals(wrong.status, 401);
          assertMatch(wrong.text, /Invalid username or password/);
        }

        let step = await get(`${loginUrl}/login`, form(idp.users.alice.password));
        let location = "";
        for (let hops = 0; hops < 10; hops++) {
          assert(
            [302, 303].includes(step.status),
            `redirect expected, got ${step.status} ${step.text}`,
          );
          location = new URL(step.headers.get("location")!, idp.issuer).href;
          if (location.startsWith(redirectUri)) break;
          step = await get(location);
        }
        const callback = new URL(location);
        assertEquals(callback.searchParams.get("state"), "st4te");
        const code = callback.searchParams.get("code");
        assert(code, `a code in ${location}`);
        jar.clear(); // the next sign-in starts a new browser session
        return await tokenRequest(idp, {
          grant_type: "authorization_code",
          client_id: idp.clients.public.id,
          code,
          redirect_uri: redirectUri,
          code_verifier: verifier,
        });
      };

      const tokens = await signIn({}, true);
      assertEquals(tokens.status, 200, tokens.text);
      assert(tokens.json.id_token, "an ID token");
      assertEquals(tokens.json.refresh_token, undefined, "no offline_access: no refresh token");
      const { payload } = await verify(idp, tokens.json.access_token);
      assertEquals([payload.sub, payload.client_id], [idp.users.alice.sub, idp.clients.public.id]);
      assertEquals(decodePayload(tokens.json.id_token).email, undefined, "email was not asked");
      assertEquals(decodePayload(tokens.json.id_token).name, idp.users.alice.name);

      // OIDC Core 1.0 §11: offline_access is ignored unless the request says prompt=consent.
      const scope = "openid profile offline_access";
      const ignored = await signIn({ scope });
      assertEquals(ignored.status, 200, ignored.text);
      assertEquals(ignored.json.refresh_token, undefined, "offline_access without prompt=consent");
      const offline = await signIn({ scope, prompt: "consent" });
      assertEquals(offline.status, 200, offline.text);
      assert(offline.json.refresh_token, "offline_access with prompt=consent: a refresh token");

      const authorize = authorizeUrl({});
      const noPkce = await get(authorize.href.replace(/&code_challenge=[^&]+/, ""));
      assertEquals(noPkce.status, 303);
      assertMatch(noPkce.headers.get("location") ?? "", /error=invalid_request/);
    },
  );

  await t.step("device authorization endpoint answers the public client", async () => {
    const r = await answer(
      await fetch(`${idp.issuer}/device/auth`, {
        method: "POST",
        body: new URLSearchParams({ client_id: idp.clients.public.id, scope: "openid api.read" }),
      }),
    );
    assertEquals(r.status, 200, r.text);
    assert(r.json.device_code && r.json.user_code, "device and user codes");
    assertEquals(r.json.verification_uri, `${idp.issuer}/device`);
    const poll = await tokenRequest(idp, {
      grant_type: "urn:ietf:params:oauth:grant-type:device_code",
      client_id: idp.clients.public.id,
      device_code: r.json.device_code,
    });
    assertEquals([poll.status, poll.json.error], [400, "authorization_pending"]);
  });
});

Deno.test("dev IdP options: RFC 8414 only, access token TTL", async () => {
  await using idp = await startDevIdp({ discovery: "oauth", accessTokenTtl: 120 });
  const oidc = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
  assertEquals(oidc.status, 404);
  await oidc.body?.cancel();
  const oauth = await answer(await fetch(`${idp.issuer}/.well-known/oauth-authorization-server`));
  assertEquals([oauth.status, oauth.json.issuer], [200, idp.issuer]);

  for (const extra of [{}, { resource: idp.opaqueResource }]) {
    const r = await clientCredentials(idp, extra);
    assertEquals(r.json.expires_in, 120);
  }
  const pw = await passwordGrant(idp);
  assertEquals(pw.json.expires_in, 120);
  const claims = decodePayload(pw.json.access_token);
  assertEquals((claims.exp as number) - (claims.iat as number), 120);
});

Deno.test("dev IdP: close() stops both servers", async () => {
  const idp = await startDevIdp();
  const token = (await clientCredentials(idp)).json.access_token;
  assertEquals((await api(idp, "/whoami", {}, token)).status, 200);

  // Work still waiting when close() is called is cut short: a delayed fault whose client gave up,
  // a slow API call still in flight, a download given up half way.
  idp.faults.token({ delayMs: 30_000, status: 200 });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 100);
  const gaveUp = await fetch(idp.tokenUrl, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "client_credentials" }),
    signal: abort.signal,
  }).then(() => "answered", (err: Error) => err.name);
  clearTimeout(timer);
  assertEquals(gaveUp, "AbortError");
  const inFlight = api(idp, "/slow?ms=30000", {}, token);
  const download = await fetch(`${idp.apiUrl}/bytes/${1 << 30}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const reader = download.body!.getReader();
  assert((await reader.read()).value, "the download started");
  await reader.cancel(); // and was given up
  await new Promise((resolve) => setTimeout(resolve, 50));
  const start = performance.now();
  await idp.close();
  assert(performance.now() - start < 2000, "close() does not wait for pending delays");
  await inFlight.catch(() => undefined);
  await idp.close(); // twice is fine
  for (const url of [`${idp.issuer}/jwks`, `${idp.apiUrl}/public`]) {
    let refused = false;
    try {
      await (await fetch(url)).body?.cancel();
    } catch (err) {
      refused = err instanceof TypeError;
    }
    assert(refused, `${url} still answers`);
  }
  const again = await startDevIdp();
  await again.close();
});
