/**
 * Django OAuth Toolkit (Debian's python3-django-oauth-toolkit) over real HTTP with plain fetch and
 * Chromium: proves the helper's server works and records how this third-party server behaves
 * (see the notes at the top of tests/helpers/dot.ts).
 */
import { assert, assertEquals, assertMatch, assertNotEquals } from "../helpers/assert.ts";
import { jose } from "../../scripts/deps.ts";
import { type Answer, answer } from "../helpers/answer.ts";
import { launchChromium, NEEDS_CHROMIUM } from "../helpers/browser.ts";
import { ignoreUnless } from "../helpers/components.ts";
import { type Dot, type DotClient, NEEDS_DOT, startDot } from "../helpers/dot.ts";

/** RFC 6749 §2.3.1 form-urlencoding as oauth4webapi does it: also `-_.!~*'()` become %XX. */
function formUrlEncode(s: string): string {
  return encodeURIComponent(s).replace(
    /[-_.!~*'()]|%20/g,
    (c) => c === "%20" ? "+" : `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function basicRaw(c: DotClient): string {
  return `Basic ${btoa(`${c.id}:${c.secret}`)}`;
}

function basicEncoded(c: DotClient): string {
  return `Basic ${btoa(`${formUrlEncode(c.id)}:${formUrlEncode(c.secret)}`)}`;
}

async function post(
  url: string,
  params: Record<string, string>,
  authorization?: string,
): Promise<Answer> {
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
  };
  if (authorization) headers.authorization = authorization;
  return answer(
    await fetch(url, { method: "POST", headers, body: new URLSearchParams(params) }),
  );
}

function isJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);
}

async function introspect(dot: Dot, token: string): Promise<Answer> {
  return await post(dot.introspectionUrl, { token }, basicRaw(dot.clients.basic));
}

function passwordGrant(dot: Dot, scope = "api.read offline_access"): Promise<Answer> {
  return post(dot.tokenUrl, {
    grant_type: "password",
    username: dot.user.username,
    password: dot.user.password,
    scope,
  }, basicRaw(dot.clients.password));
}

function b64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return { verifier, challenge: b64url(new Uint8Array(digest)) };
}

/** A loopback redirect target on a port the OS picks; each request's query is queued. */
function callbackServer() {
  const queue: URLSearchParams[] = [];
  const waiters: ((q: URLSearchParams) => void)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname !== "/callback") return new Response("not found", { status: 404 });
    const waiter = waiters.shift();
    if (waiter) waiter(url.searchParams);
    else queue.push(url.searchParams);
    return new Response("<h1>done</h1>", { headers: { "content-type": "text/html" } });
  });
  return {
    redirectUri: `http://127.0.0.1:${server.addr.port}/callback`,
    next: (): Promise<URLSearchParams> =>
      queue.length > 0
        ? Promise.resolve(queue.shift()!)
        : new Promise((resolve) => waiters.push(resolve)),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test({
  name: "Django OAuth Toolkit: discovery, client auth, grants, rotation, revocation, PKCE login",
  ignore: ignoreUnless("Django OAuth Toolkit smoke test", NEEDS_DOT, NEEDS_CHROMIUM),
  fn: async (t) => {
    await using dot = await startDot();
    const origin = new URL(dot.issuer).origin;

    await t.step("discovery: issuer without slash; 301 at the no-slash URL", async () => {
      assertMatch(dot.issuer, /^http:\/\/127\.0\.0\.1:\d+\/o$/);
      const noSlash = await fetch(`${dot.issuer}/.well-known/openid-configuration`, {
        redirect: "manual",
      });
      await noSlash.body?.cancel();
      assertEquals(noSlash.status, 301);
      assertEquals(noSlash.headers.get("location"), "/o/.well-known/openid-configuration/");
      const d = await answer(await fetch(dot.discoveryUrl));
      assertEquals(d.status, 200);
      assertEquals(d.json.issuer, dot.issuer);
      assertEquals(d.json.token_endpoint, `${dot.issuer}/token/`);
      assertEquals(d.json.authorization_endpoint, `${dot.issuer}/authorize/`);
      assertEquals(d.json.jwks_uri, `${dot.issuer}/.well-known/jwks.json`);
      assertEquals(d.json.id_token_signing_alg_values_supported, ["RS256", "HS256"]);
      assertEquals(d.json.token_endpoint_auth_methods_supported, [
        "client_secret_post",
        "client_secret_basic",
      ]);
      for (const absent of ["revocation_endpoint", "introspection_endpoint", "scopes_supported"]) {
        assertEquals(d.json[absent], undefined, `${absent} is not in DOT 1.7's discovery`);
      }
      // fetch's default redirect: follow reaches the same document.
      const followed = await answer(await fetch(`${dot.issuer}/.well-known/openid-configuration`));
      assertEquals(followed.json.issuer, dot.issuer);
      const jwks = await answer(await fetch(dot.jwksUri));
      assertEquals(jwks.json.keys.length, 1);
      assertEquals(jwks.json.keys[0].alg, "RS256");
      assertEquals(jwks.json.keys[0].kty, "RSA");
    });

    await t.step("client_credentials, Basic with raw id:secret", async () => {
      const ok = await post(
        dot.tokenUrl,
        { grant_type: "client_credentials" },
        basicRaw(dot.clients.basic),
      );
      assertEquals(ok.status, 200, ok.text);
      assertEquals(ok.json.token_type, "Bearer");
      assertEquals(ok.json.expires_in, 3600);
      assertEquals(ok.json.scope, "api.read", "DEFAULT_SCOPES without a scope parameter");
      assertEquals(ok.json.refresh_token, undefined);
      assert(!isJwt(ok.json.access_token), "opaque access token");
      assertMatch(ok.json.access_token, /^[A-Za-z0-9]{30}$/);
      // Raw `+` is read as a space and the `:` in the id splits it: DOT url-decodes Basic.
      const odd = await post(
        dot.tokenUrl,
        { grant_type: "client_credentials" },
        basicRaw(dot.clients.odd),
      );
      assertEquals(odd.status, 401, odd.text);
      assertEquals(odd.json.error, "invalid_client");
    });

    await t.step("client_credentials, Basic form-urlencoded (RFC 6749 §2.3.1)", async () => {
      for (const client of [dot.clients.basic, dot.clients.odd]) {
        const r = await post(
          dot.tokenUrl,
          { grant_type: "client_credentials", scope: "api.read api.write" },
          basicEncoded(client),
        );
        assertEquals(r.status, 200, `${client.id}: ${r.text}`);
        assertEquals(r.json.scope, "api.read api.write");
        const info = await introspect(dot, r.json.access_token);
        assertEquals(info.json.client_id, client.id);
      }
    });

    await t.step("client_credentials, client_secret_post", async () => {
      for (const client of [dot.clients.basic, dot.clients.odd]) {
        const r = await post(dot.tokenUrl, {
          grant_type: "client_credentials",
          client_id: client.id,
          client_secret: client.secret,
        });
        assertEquals(r.status, 200, `${client.id}: ${r.text}`);
      }
      const wrong = await post(dot.tokenUrl, {
        grant_type: "client_credentials",
        client_id: dot.clients.basic.id,
        client_secret: "nope",
      });
      assertEquals(wrong.status, 401);
      assertEquals(wrong.json.error, "invalid_client");
    });

    await t.step("password grant; refresh rotates; the used refresh token is refused", async () => {
      const first = await passwordGrant(dot);
      assertEquals(first.status, 200, first.text);
      assertEquals(first.json.expires_in, 3600);
      assertEquals(first.json.scope, "api.read offline_access");
      assert(typeof first.json.refresh_token === "string", "a refresh token");
      assertEquals(first.json.id_token, undefined, "no ID token for the password grant");
      const bad = await post(dot.tokenUrl, {
        grant_type: "password",
        username: dot.user.username,
        password: "wrong",
      }, basicRaw(dot.clients.password));
      assertEquals(bad.status, 400);
      assertEquals(bad.json.error, "invalid_grant");

      const refreshed = await post(dot.tokenUrl, {
        grant_type: "refresh_token",
        refresh_token: first.json.refresh_token,
      }, basicRaw(dot.clients.password));
      assertEquals(refreshed.status, 200, refreshed.text);
      assertNotEquals(refreshed.json.refresh_token, first.json.refresh_token);
      assertNotEquals(refreshed.json.access_token, first.json.access_token);
      assertEquals(refreshed.json.scope, "api.read offline_access");
      assertEquals((await introspect(dot, first.json.access_token)).json.active, false);

      const reused = await post(dot.tokenUrl, {
        grant_type: "refresh_token",
        refresh_token: first.json.refresh_token,
      }, basicRaw(dot.clients.password));
      assertEquals(reused.status, 400, reused.text);
      assertEquals(reused.json.error, "invalid_grant");
      // The new pair still works.
      const again = await post(dot.tokenUrl, {
        grant_type: "refresh_token",
        refresh_token: refreshed.json.refresh_token,
      }, basicRaw(dot.clients.password));
      assertEquals(again.status, 200, again.text);
    });

    await t.step("revocation (RFC 7009), then introspection says inactive", async () => {
      const tok = await passwordGrant(dot);
      const before = await introspect(dot, tok.json.access_token);
      assertEquals(before.status, 200, before.text);
      assertEquals(before.json.active, true);
      assertEquals(before.json.client_id, dot.clients.password.id);
      assertEquals(before.json.username, dot.user.username);
      assertEquals(before.json.scope, "api.read offline_access");
      const noAuth = await fetch(dot.introspectionUrl, {
        method: "POST",
        body: new URLSearchParams({ token: tok.json.access_token }),
      });
      await noAuth.body?.cancel();
      assertEquals(noAuth.status, 403, "introspection needs client authentication");

      const revoked = await post(dot.revocationUrl, {
        token: tok.json.access_token,
        token_type_hint: "access_token",
      }, basicRaw(dot.clients.password));
      assertEquals(revoked.status, 200, revoked.text);
      assertEquals((await introspect(dot, tok.json.access_token)).json, { active: false });

      // Revoking the refresh token makes it unusable.
      const r = await post(dot.revocationUrl, {
        token: tok.json.refresh_token,
        token_type_hint: "refresh_token",
      }, basicRaw(dot.clients.password));
      assertEquals(r.status, 200, r.text);
      const refresh = await post(dot.tokenUrl, {
        grant_type: "refresh_token",
        refresh_token: tok.json.refresh_token,
      }, basicRaw(dot.clients.password));
      assertEquals(refresh.json.error, "invalid_grant");
    });

    await t.step("authorization code + PKCE in Chromium, any loopback port", async () => {
      await using cb = callbackServer();
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        const { verifier, challenge } = await pkce();
        const state = crypto.randomUUID();
        const nonce = crypto.randomUUID();
        const authorize = (extra: Record<string, string>) =>
          `${dot.authorizeUrl}?${new URLSearchParams({
            response_type: "code",
            client_id: dot.clients.public.id,
            redirect_uri: cb.redirectUri,
            scope: "openid profile email offline_access api.read",
            state,
            ...extra,
          })}`;
        await page.goto(
          authorize({ nonce, code_challenge: challenge, code_challenge_method: "S256" }),
        );
        assertMatch(page.url(), /\/accounts\/login\/\?next=/);
        await dot.login(page);
        const q = await cb.next();
        assertEquals(q.get("state"), state);
        const code = q.get("code");
        assert(code, `a code: ${q}`);

        const tokens = await post(dot.tokenUrl, {
          grant_type: "authorization_code",
          code,
          redirect_uri: cb.redirectUri,
          client_id: dot.clients.public.id,
          code_verifier: verifier,
        });
        assertEquals(tokens.status, 200, tokens.text);
        assertEquals(tokens.json.scope, "openid profile email offline_access api.read");
        assertEquals(tokens.json.expires_in, 3600);
        assert(typeof tokens.json.refresh_token === "string");
        assert(!isJwt(tokens.json.access_token), "opaque access token");
        const idToken: string = tokens.json.id_token;
        assert(isJwt(idToken), "an ID token");
        const jwks = jose.createRemoteJWKSet(new URL(dot.jwksUri));
        const { payload, protectedHeader } = await jose.jwtVerify(idToken, jwks, {
          issuer: dot.issuer,
          audience: dot.clients.public.id,
        });
        assertEquals(protectedHeader.alg, "RS256");
        assert(protectedHeader.kid, "a kid");
        assertEquals(payload.sub, dot.user.sub);
        assertEquals(payload.nonce, nonce);
        assert(typeof payload.at_hash === "string", "at_hash");
        assertEquals(payload.email, undefined, "DOT's default validator adds no profile claims");

        const userinfo = await answer(
          await fetch(dot.userinfoUrl, {
            headers: { authorization: `Bearer ${tokens.json.access_token}` },
          }),
        );
        assertEquals(userinfo.status, 200, userinfo.text);
        assertEquals(userinfo.json.sub, dot.user.sub);

        // A public client refreshes with its client_id alone; the token rotates.
        const refreshed = await post(dot.tokenUrl, {
          grant_type: "refresh_token",
          refresh_token: tokens.json.refresh_token,
          client_id: dot.clients.public.id,
        });
        assertEquals(refreshed.status, 200, refreshed.text);
        assertNotEquals(refreshed.json.refresh_token, tokens.json.refresh_token);

        // Replaying the code fails.
        const replay = await post(dot.tokenUrl, {
          grant_type: "authorization_code",
          code,
          redirect_uri: cb.redirectUri,
          client_id: dot.clients.public.id,
          code_verifier: verifier,
        });
        assertEquals(replay.json.error, "invalid_grant");

        // PKCE is required: without a code_challenge DOT redirects back with invalid_request.
        await page.goto(authorize({}));
        const noPkce = await cb.next();
        assertEquals(noPkce.get("error"), "invalid_request");
        assertMatch(noPkce.get("error_description") ?? "", /challenge/i);

        // `localhost` is not a loopback redirect for a `127.0.0.1` registration: an error page.
        const localhost = await page.goto(authorize({
          redirect_uri: cb.redirectUri.replace("127.0.0.1", "localhost"),
          code_challenge: challenge,
          code_challenge_method: "S256",
        }));
        assertEquals(localhost?.status(), 400);
        assert(new URL(page.url()).origin === origin, "stays on DOT");
        assertMatch(await page.content(), /invalid_request|Mismatching redirect URI/i);
        await page.close();
      } finally {
        await browser.close();
      }
    });
  },
});
