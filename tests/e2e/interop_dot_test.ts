/**
 * lmi against a real, independently written server: Django OAuth Toolkit from Debian
 * (tests/helpers/dot.ts). Its discovery answers a 301 to the trailing-slash path, it URL-decodes
 * Basic credentials, its access tokens are opaque, it rotates refresh tokens, and its login and
 * consent pages are Django's own. The real program, with its own permissions, does all of it.
 */
import { assert, assertEquals, assertMatch, assertNotEquals } from "../helpers/assert.ts";
import { sandbox } from "../helpers/cli.ts";
import { NEEDS_CHROMIUM } from "../helpers/browser.ts";
import { ignoreUnless } from "../helpers/components.ts";
import { signInWithoutTerminal } from "../helpers/background.ts";
import { cacheEntry, passwordEnvToml, serviceEnvToml, ssoToml } from "../helpers/interop.ts";
import { type Dot, NEEDS_DOT, startDot } from "../helpers/dot.ts";

function ccEnv(dot: Dot, name: string, client: "basic" | "odd", extra = ""): string {
  return serviceEnvToml(name, {
    issuer: dot.issuer,
    clientId: dot.clients[client].id,
    secretVar: `${name.toUpperCase()}_SECRET`,
    scopes: ["api.read"],
    extra,
  });
}

async function introspect(dot: Dot, token: string): Promise<Record<string, unknown>> {
  const c = dot.clients.basic;
  const res = await fetch(dot.introspectionUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token, client_id: c.id, client_secret: c.secret }),
  });
  assertEquals(res.status, 200);
  return await res.json();
}

Deno.test({
  name: "Django OAuth Toolkit: service grants, refresh rotation, browser sign-in",
  ignore: ignoreUnless("Django OAuth Toolkit interop", NEEDS_DOT, NEEDS_CHROMIUM),
  fn: async (t) => {
    await using dot = await startDot();
    await using box = await sandbox({
      BASIC_SECRET: dot.clients.basic.secret,
      POST_SECRET: dot.clients.basic.secret,
      ODD_SECRET: dot.clients.odd.secret,
      PW_SECRET: dot.clients.password.secret,
      PW_USER: dot.user.username,
      PW_PASS: dot.user.password,
      CI: "true",
    });
    await box.writeConfig(
      ccEnv(dot, "basic", "basic") +
        ccEnv(dot, "post", "basic", 'client_auth = "client_secret_post"') +
        ccEnv(dot, "odd", "odd") +
        passwordEnvToml("pw", {
          issuer: dot.issuer,
          clientId: dot.clients.password.id,
          scopes: ["api.read"],
        }) +
        ssoToml({
          issuer: dot.issuer,
          clientId: dot.clients.public.id,
          scopes: ["openid", "api.read"],
        }),
    );

    await t.step(
      "discovery through DOT's 301; client_credentials with Basic, post, and +%:/ ids",
      async () => {
        for (const env of ["basic", "post", "odd"]) {
          const r = await box.run(["auth", "token", "-e", env, "-v"]);
          assertEquals(r.code, 0, `${env}: ${r.stderr}`);
          assertMatch(r.stdout, /^[A-Za-z0-9]{20,}\n$/);
          const info = await introspect(dot, r.stdout.trim());
          assertEquals(info.active, true, env);
          assertEquals(info.client_id, env === "odd" ? dot.clients.odd.id : dot.clients.basic.id);
          // an opaque token: no verification, its expiry from expires_in
          assertEquals(cacheEntry(box, env).verified, false);
        }
      },
    );

    await t.step(
      "password grant, then refresh with rotation (the old refresh token is dead)",
      async () => {
        const first = await box.run(["auth", "token", "-e", "pw"]);
        assertEquals(first.code, 0, first.stderr);
        const oldRefresh = cacheEntry(box, "pw").refresh_token as string;
        assert(oldRefresh, "a refresh token is cached");
        const renewed = await box.run(["auth", "token", "-e", "pw", "--min-ttl", "2h", "-v"]);
        assertEquals(renewed.code, 0, renewed.stderr);
        assertMatch(renewed.stderr, /refreshing the token for env "pw"/);
        assertNotEquals(renewed.stdout, first.stdout);
        const newRefresh = cacheEntry(box, "pw").refresh_token as string;
        assertNotEquals(newRefresh, oldRefresh);
        const replay = await fetch(dot.tokenUrl, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            grant_type: "refresh_token",
            refresh_token: oldRefresh,
            client_id: dot.clients.password.id,
            client_secret: dot.clients.password.secret,
          }),
        });
        assertEquals(replay.status, 400);
        assertEquals((await replay.json()).error, "invalid_grant");
        assertEquals((await introspect(dot, renewed.stdout.trim())).active, true);
      },
    );

    await t.step(
      "authorization code + PKCE through DOT's login and consent pages, no terminal",
      async () => {
        const login = await signInWithoutTerminal(
          ["login", "sso", "--no-browser", "--timeout", "60s"],
          box.env,
          box.home,
          async (page, url) => {
            assertEquals(new URL(url).searchParams.get("code_challenge_method"), "S256");
            await dot.login(page);
            await page.waitForSelector("h1");
            assertMatch((await page.textContent("main")) ?? "", /Signed in to lmi as 1\./);
          },
        );
        assertEquals(await login.status, 0, login.stderr());
        assert(!login.stderr().includes("\r"), "no carriage-return animation without a terminal");
        assertMatch(login.stderr(), new RegExp(`Signed in to ${dot.issuer} as 1`));
        const token = await box.run(["auth", "token", "-e", "app"]);
        assertEquals(token.code, 0, token.stderr);
        assertEquals((await introspect(dot, token.stdout.trim())).active, true);
        const out = await box.run(["logout", "sso", "-v"]);
        assertEquals(out.code, 0, out.stderr);
        // DOT does not advertise its revocation endpoint: lmi says so and signs out here.
        assertMatch(out.stderr, /offers no revocation endpoint/);
        assertEquals((await box.run(["auth", "token", "-e", "app"])).code, 4);
      },
    );
  },
});
