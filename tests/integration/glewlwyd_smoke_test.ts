/**
 * glewlwyd (a real third-party OAuth 2.0 / OIDC server, Debian package) as started by
 * tests/helpers/glewlwyd.ts, driven with plain fetch and Chromium: it proves the harness works and
 * records glewlwyd's quirks that lmi must live with (see the helper's module doc).
 */
import { assert, assertEquals, assertMatch, assertNotEquals } from "../helpers/assert.ts";
import { type Answer, answer } from "../helpers/answer.ts";
import { ignoreUnless } from "../helpers/components.ts";
import { launchChromium, NEEDS_CHROMIUM } from "../helpers/browser.ts";
import { type Glewlwyd, NEEDS_GLEWLWYD, startGlewlwyd } from "../helpers/glewlwyd.ts";
import { jose } from "../../scripts/deps.ts";

/** RFC 7617 as most clients do it: the raw `id:secret`, base64. */
function rawBasic(id: string, secret: string): string {
  return `Basic ${btoa(`${id}:${secret}`)}`;
}

/** RFC 6749 §2.3.1 (oauth4webapi): each part form-urlencoded first. */
function formBasic(id: string, secret: string): string {
  const enc = (s: string) =>
    encodeURIComponent(s).replace(/%20/g, "+").replace(
      /[!'()*~-]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
  return `Basic ${btoa(`${enc(id)}:${enc(secret)}`)}`;
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
  return answer(await fetch(url, { method: "POST", headers, body: new URLSearchParams(params) }));
}

async function discovery(g: Glewlwyd) {
  const res = await answer(await fetch(g.discoveryUrl, { redirect: "manual" }));
  assertEquals(res.status, 200, res.text);
  return res.json;
}

function b64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

async function pkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return { verifier, challenge: b64url(new Uint8Array(digest)) };
}

const SMOKE = "glewlwyd: discovery, client auth, grants, refresh, revocation, device endpoint";

Deno.test({
  name: SMOKE,
  ignore: ignoreUnless(SMOKE, NEEDS_GLEWLWYD),
  fn: async (t) => {
    await using g = await startGlewlwyd();
    const meta = await discovery(g);
    const tokenUrl: string = meta.token_endpoint;
    const { basic, odd, oddBasic } = g.clients;
    const jwks = jose.createLocalJWKSet(
      (await answer(await fetch(meta.jwks_uri))).json as jose.JSONWebKeySet,
    );

    await t.step("discovery: 200 without redirect, issuer and endpoints as documented", () => {
      assertMatch(g.issuer, /^http:\/\/127\.0\.0\.1:\d+\/api\/oidc$/);
      assertEquals(meta.issuer, g.issuer);
      assertEquals(meta.token_endpoint, `${g.issuer}/token`);
      assertEquals(meta.authorization_endpoint, `${g.issuer}/auth`);
      assertEquals(meta.revocation_endpoint, `${g.issuer}/revoke`);
      assertEquals(meta.introspection_endpoint, `${g.issuer}/introspect`);
      assertEquals(meta.device_authorization_endpoint, `${g.issuer}/device_authorization`);
      assertEquals(meta.jwks_uri, `${g.issuer}/jwks`);
      assertEquals(meta.code_challenge_methods_supported, ["S256"]);
      assert(meta.token_endpoint_auth_methods_supported.includes("client_secret_basic"));
      assert(meta.token_endpoint_auth_methods_supported.includes("client_secret_post"));
      // Quirk: password / client_credentials / refresh_token are not in grant_types_supported
      // (glewlwyd lists them under response_types_supported instead).
      assert(!meta.grant_types_supported.includes("client_credentials"));
      assert(meta.response_types_supported.includes("client_credentials"));
      assertEquals(meta.revocation_endpoint_auth_methods_supported, ["client_secret_basic"]);
    });

    await t.step("discovery: nothing at the RFC 8414 or root well-known paths", async () => {
      const origin = new URL(g.issuer).origin;
      for (
        const path of [
          "/.well-known/oauth-authorization-server/api/oidc",
          "/.well-known/openid-configuration",
        ]
      ) {
        const res = await answer(await fetch(`${origin}${path}`, { redirect: "manual" }));
        assertNotEquals(res.status, 200, path);
      }
    });

    await t.step("client_credentials: raw Basic works for svc-cli_v1.0~x (RS256 JWT)", async () => {
      const res = await post(
        tokenUrl,
        { grant_type: "client_credentials", scope: g.serviceScope },
        rawBasic(basic.id, basic.secret),
      );
      assertEquals(res.status, 200, res.text);
      assertEquals(res.json.token_type, "bearer");
      assertEquals(res.json.expires_in, 3600);
      assertEquals(res.json.scope, g.serviceScope);
      assertEquals(res.json.refresh_token, undefined);
      const { payload, protectedHeader } = await jose.jwtVerify(res.json.access_token, jwks, {
        issuer: g.issuer,
      });
      assertEquals(protectedHeader.alg, "RS256");
      assertEquals(protectedHeader.typ, "at+jwt");
      assertEquals(payload.client_id, basic.id);
      assertEquals(payload.sub, basic.id);
    });

    await t.step(
      "client_credentials: raw Basic, secret with + % : / (id without ':')",
      async () => {
        const res = await post(
          tokenUrl,
          { grant_type: "client_credentials", scope: g.serviceScope },
          rawBasic(oddBasic.id, oddBasic.secret),
        );
        assertEquals(res.status, 200, res.text);
      },
    );

    await t.step("client_credentials: raw Basic cannot work for an id with ':'", async () => {
      // glewlwyd splits at the first ':' (and RFC 7617 forbids ':' in the user-id).
      const res = await post(
        tokenUrl,
        { grant_type: "client_credentials", scope: g.serviceScope },
        rawBasic(odd.id, odd.secret),
      );
      assertEquals(res.status, 403, res.text);
      assert(g.log().includes("client_id 'svc+odd%' invalid"));
    });

    await t.step(
      "client_credentials: form-urlencoded Basic is rejected (no decoding)",
      async () => {
        for (const c of [basic, odd, oddBasic]) {
          const res = await post(
            tokenUrl,
            { grant_type: "client_credentials", scope: g.serviceScope },
            formBasic(c.id, c.secret),
          );
          assertEquals(res.status, 403, `${c.id}: ${res.text}`);
        }
        assert(g.log().includes("client_id 'svc%2Dcli_v1.0%7Ex' invalid"));
      },
    );

    await t.step("client_credentials: client_secret_post works for all clients", async () => {
      for (const c of [basic, odd, oddBasic]) {
        const res = await post(tokenUrl, {
          grant_type: "client_credentials",
          scope: g.serviceScope,
          client_id: c.id,
          client_secret: c.secret,
        });
        assertEquals(res.status, 200, `${c.id}: ${res.text}`);
        const { payload } = await jose.jwtVerify(res.json.access_token, jwks, {
          issuer: g.issuer,
        });
        assertEquals(payload.client_id, c.id);
      }
    });

    await t.step("client_credentials: wrong secret gives 403, empty body", async () => {
      const res = await post(
        tokenUrl,
        { grant_type: "client_credentials", scope: g.serviceScope },
        rawBasic(basic.id, "wrong"),
      );
      assertEquals(res.status, 403, res.text);
      // Quirk: RFC 6749 wants 401/400 invalid_client; glewlwyd sends 403, empty body, no challenge.
      assertEquals(res.text, "");
      assertEquals(res.headers.get("www-authenticate"), null);
    });

    let refreshToken = "";
    let accessToken = "";
    await t.step("password grant: access, refresh and id token", async () => {
      const res = await post(
        tokenUrl,
        {
          grant_type: "password",
          username: g.user.username,
          password: g.user.password,
          scope: "openid profile email offline_access",
        },
        rawBasic(basic.id, basic.secret),
      );
      assertEquals(res.status, 200, res.text);
      assertEquals(res.json.expires_in, 3600);
      assertEquals(res.json.scope, "openid profile email offline_access");
      assert(res.json.refresh_token);
      const id = await jose.jwtVerify(res.json.id_token, jwks, {
        issuer: g.issuer,
        audience: basic.id,
      });
      assertEquals(id.payload.azp, basic.id);
      refreshToken = res.json.refresh_token;
      accessToken = res.json.access_token;
    });

    await t.step("password grant: wrong password gives 403, empty body", async () => {
      const res = await post(
        tokenUrl,
        { grant_type: "password", username: g.user.username, password: "nope", scope: "openid" },
        rawBasic(basic.id, basic.secret),
      );
      assertEquals(res.status, 403, res.text);
      // Quirk: not 400 invalid_grant but 403 with an empty body.
      assertEquals(res.text, "");
    });

    await t.step("refresh: rotates the refresh token; the old one is then refused", async () => {
      const res = await post(
        tokenUrl,
        { grant_type: "refresh_token", refresh_token: refreshToken },
        rawBasic(basic.id, basic.secret),
      );
      assertEquals(res.status, 200, res.text);
      assert(res.json.access_token);
      assert(res.json.refresh_token);
      assertNotEquals(res.json.refresh_token, refreshToken);
      assertEquals(res.json.id_token, undefined);
      const replay = await post(
        tokenUrl,
        { grant_type: "refresh_token", refresh_token: refreshToken },
        rawBasic(basic.id, basic.secret),
      );
      assertEquals(replay.status, 400, replay.text);
      // Quirk: a reused (rotated-out) refresh token gets 400 with an empty body, no `error`.
      assertEquals(replay.text, "");
      refreshToken = res.json.refresh_token;
      accessToken = res.json.access_token;
    });

    await t.step("introspection and revocation (RFC 7662 / 7009) with Basic", async () => {
      const introspectUrl: string = meta.introspection_endpoint;
      const revokeUrl: string = meta.revocation_endpoint;
      const auth = rawBasic(basic.id, basic.secret);
      let res = await post(introspectUrl, { token: accessToken }, auth);
      assertEquals(res.status, 200, res.text);
      assertEquals(res.json.active, true);
      assertEquals(res.json.client_id, basic.id);

      res = await post(revokeUrl, { token: refreshToken, token_type_hint: "refresh_token" }, auth);
      assertEquals(res.status, 200, res.text);
      res = await post(introspectUrl, { token: refreshToken }, auth);
      assertEquals(res.json.active, false);
      const again = await post(tokenUrl, {
        grant_type: "refresh_token",
        refresh_token: refreshToken,
      }, auth);
      assertEquals(again.status, 400, again.text);

      res = await post(revokeUrl, { token: accessToken, token_type_hint: "access_token" }, auth);
      assertEquals(res.status, 200, res.text);
      res = await post(introspectUrl, { token: accessToken }, auth);
      assertEquals(res.json.active, false);
      // An unknown token: still 200, as RFC 7009 asks.
      res = await post(revokeUrl, { token: "no-such-token" }, auth);
      assertEquals(res.status, 200, res.text);
    });

    await t.step(
      "revocation: client_secret_post works too; no client auth is refused",
      async () => {
        // Discovery only lists client_secret_basic for revocation, but post is accepted.
        const revokeUrl: string = meta.revocation_endpoint;
        const fresh = await post(
          tokenUrl,
          { grant_type: "client_credentials", scope: g.serviceScope },
          rawBasic(basic.id, basic.secret),
        );
        const token: string = fresh.json.access_token;
        const anon = await post(revokeUrl, { token, client_id: g.clients.public.id });
        assertEquals(anon.status, 401, anon.text);
        const viaPost = await post(revokeUrl, {
          token,
          client_id: basic.id,
          client_secret: basic.secret,
        });
        assertEquals(viaPost.status, 200, viaPost.text);
        const check = await post(
          meta.introspection_endpoint,
          { token },
          rawBasic(basic.id, basic.secret),
        );
        assertEquals(check.json.active, false);
      },
    );

    await t.step("device authorization endpoint answers for the public client", async () => {
      const res = await post(meta.device_authorization_endpoint, {
        client_id: g.clients.public.id,
        scope: "openid profile",
      });
      assertEquals(res.status, 200, res.text);
      assertEquals(res.json.verification_uri, `${g.issuer}/device`);
      assertEquals(
        res.json.verification_uri_complete,
        `${g.issuer}/device?code=${res.json.user_code}`,
      );
      assertEquals(res.json.expires_in, 600);
      assertEquals(res.json.interval, 1);
      assertMatch(res.json.user_code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
      const poll = await post(tokenUrl, {
        grant_type: "urn:ietf:params:oauth:grant-type:device_code",
        device_code: res.json.device_code,
        client_id: g.clients.public.id,
      });
      assertEquals(poll.status, 400, poll.text);
      assertEquals(poll.json.error, "authorization_pending");
    });
  },
});

const BROWSER = "glewlwyd: code + PKCE and device flow through glewlwyd's login page (Chromium)";

Deno.test({
  name: BROWSER,
  ignore: ignoreUnless(BROWSER, NEEDS_GLEWLWYD, NEEDS_CHROMIUM),
  fn: async (t) => {
    await using g = await startGlewlwyd();
    const meta = await discovery(g);
    const callbacks: URL[] = [];
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
      const url = new URL(req.url);
      if (url.pathname === "/callback") callbacks.push(url);
      return new Response("You can close this window.");
    });
    await using _server = { [Symbol.asyncDispose]: () => server.shutdown() };
    const redirectUri = `http://127.0.0.1:${server.addr.port}/callback`;
    const browser = await launchChromium();
    await using _browser = { [Symbol.asyncDispose]: () => browser.close() };
    const clientId = g.clients.public.id;

    function authorizeUrl(redirect: string, challenge: string, state: string): string {
      const url = new URL(meta.authorization_endpoint);
      url.search = new URLSearchParams({
        response_type: "code",
        client_id: clientId,
        redirect_uri: redirect,
        scope: g.scopes.join(" "),
        state,
        nonce: "n-0S6_WzA2Mj",
        code_challenge: challenge,
        code_challenge_method: "S256",
      }).toString();
      return url.toString();
    }

    await t.step(
      "redirect URIs match exactly: a loopback port not registered is refused",
      async () => {
        // Registered: http://127.0.0.1/callback (no port). RFC 8252 §7.3 port leniency: none.
        assertEquals(g.clients.public.redirectUris, ["http://127.0.0.1/callback"]);
        const { challenge } = await pkcePair();
        const res = await fetch(authorizeUrl(redirectUri, challenge, "s0"), { redirect: "manual" });
        await res.body?.cancel();
        assertEquals(res.status, 403);
        assertEquals(res.headers.get("location"), null);
      },
    );

    await g.setRedirectUris([redirectUri]);

    await t.step("code + PKCE: login page, consent, code exchanged for tokens", async () => {
      const { verifier, challenge } = await pkcePair();
      const trail: string[] = []; // the login app's API calls, for the failure message
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        page.on("request", (r) => {
          if (r.url().includes("/api/")) {
            trail.push(`${r.method()} ${r.url().slice(0, 120)}`);
          }
        });
        await page.goto(authorizeUrl(redirectUri, challenge, "st-1"));
        await g.login(page);
        assertEquals(callbacks.length, 1);
      } finally {
        await context.close();
      }
      const cb = callbacks[0]!;
      assertEquals(cb.searchParams.get("state"), "st-1");
      assertEquals(cb.searchParams.get("iss"), g.issuer); // RFC 9207
      const code = cb.searchParams.get("code");
      assert(code);

      const wrong = await post(meta.token_endpoint, {
        grant_type: "authorization_code",
        code,
        redirect_uri: redirectUri,
        client_id: clientId,
        code_verifier: (await pkcePair()).verifier,
      });
      assertEquals(wrong.status, 403, wrong.text);
      // Quirk: a non-standard error code (RFC 7636 says invalid_grant).
      assertEquals(wrong.json, { error: "invalid_code" });

      const res = await post(meta.token_endpoint, {
        grant_type: "authorization_code",
        code,
        redirect_uri: redirectUri,
        client_id: clientId,
        code_verifier: verifier,
      });
      assertEquals(res.status, 200, res.text);
      assertEquals(
        res.json.scope,
        g.scopes.join(" "),
        `${trail.join("\n")}\n${
          g.log().split("\n").filter((l) => /grant|scope/i.test(l)).join("\n")
        }`,
      );
      assert(res.json.refresh_token);
      const jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));
      const id = await jose.jwtVerify(res.json.id_token, jwks, {
        issuer: g.issuer,
        audience: clientId,
      });
      assertEquals(id.payload.nonce, "n-0S6_WzA2Mj");
      assertEquals(id.payload.email, g.user.email);

      const userinfo = await answer(
        await fetch(meta.userinfo_endpoint, {
          headers: { authorization: `Bearer ${res.json.access_token}` },
        }),
      );
      assertEquals(userinfo.status, 200, userinfo.text);
      assertEquals(userinfo.json.sub, id.payload.sub);

      const refreshed = await post(meta.token_endpoint, {
        grant_type: "refresh_token",
        refresh_token: res.json.refresh_token,
        client_id: clientId,
      });
      assertEquals(refreshed.status, 200, refreshed.text);
      assertNotEquals(refreshed.json.refresh_token, res.json.refresh_token);
    });

    await t.step(
      "device flow: verification page, consent, then the token poll succeeds",
      async () => {
        const start = await post(meta.device_authorization_endpoint, {
          client_id: clientId,
          scope: g.scopes.join(" "),
        });
        assertEquals(start.status, 200, start.text);
        const context = await browser.newContext();
        try {
          const page = await context.newPage();
          await page.goto(start.json.verification_uri_complete);
          await g.login(page);
        } finally {
          await context.close();
        }
        let res: Answer | undefined;
        for (let i = 0; i < 10; i++) {
          await new Promise((r) => setTimeout(r, start.json.interval * 1000));
          res = await post(meta.token_endpoint, {
            grant_type: "urn:ietf:params:oauth:grant-type:device_code",
            device_code: start.json.device_code,
            client_id: clientId,
          });
          if (res.status === 200 || res.json?.error !== "authorization_pending") break;
        }
        assertEquals(res?.status, 200, res?.text);
        assert(res?.json.access_token);
        assert(res?.json.refresh_token);
      },
    );
  },
});
