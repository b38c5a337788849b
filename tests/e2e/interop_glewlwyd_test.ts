/**
 * lmi against a real, independently written server: glewlwyd from Debian (C, its own login
 * app; tests/helpers/glewlwyd.ts). It never URL-decodes HTTP Basic credentials, answers a bad
 * client secret with an empty 403, rotates refresh tokens, compares redirect URIs exactly, issues
 * JWT access tokens, and offers the device flow and revocation. A browser sign-in is completed
 * both through the loopback redirect and by pasting the address the browser ended on.
 */
import { assert, assertEquals, assertMatch, assertNotEquals } from "../helpers/assert.ts";
import { ignoreUnless } from "../helpers/components.ts";
import { sandbox } from "../helpers/cli.ts";
import { addressBrowserEndsOn, launchChromium, NEEDS_CHROMIUM } from "../helpers/browser.ts";
import { runInBackground, SIGN_IN_URL, signInWithoutTerminal } from "../helpers/background.ts";
import {
  cacheEntry,
  jwtClaims,
  passwordEnvToml,
  serviceEnvToml,
  ssoToml,
} from "../helpers/interop.ts";
import { type Glewlwyd, NEEDS_GLEWLWYD, startGlewlwyd } from "../helpers/glewlwyd.ts";

type Client = "basic" | "odd" | "oddBasic";

function ccEnv(
  g: Glewlwyd,
  name: string,
  client: Client,
  extra = "",
  secretVar = `${client.toUpperCase()}_SECRET`,
): string {
  return serviceEnvToml(name, {
    issuer: g.issuer,
    clientId: g.clients[client].id,
    secretVar,
    scopes: [g.serviceScope],
    extra,
  });
}

/** A loopback port nobody listens on now (the OS picks it; closed again at once). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** RFC 7662 introspection at glewlwyd, as the confidential web client. */
async function active(g: Glewlwyd, token: string): Promise<boolean> {
  const res = await fetch(`${g.issuer}/introspect`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${btoa(`${g.clients.web.id}:${g.clients.web.secret}`)}`,
    },
    body: new URLSearchParams({ token }),
  });
  assertEquals(res.status, 200);
  return (await res.json()).active === true;
}

Deno.test({
  name: "glewlwyd: client authentication without Basic decoding, password, refresh, device flow",
  ignore: ignoreUnless("glewlwyd interop", NEEDS_GLEWLWYD, NEEDS_CHROMIUM),
  fn: async (t) => {
    await using g = await startGlewlwyd();
    await using box = await sandbox({
      BASIC_SECRET: g.clients.basic.secret,
      ODD_SECRET: g.clients.odd.secret,
      ODDBASIC_SECRET: g.clients.oddBasic.secret,
      WRONG_SECRET: "not-the-secret",
      PW_SECRET: g.clients.basic.secret,
      PW_USER: g.user.username,
      PW_PASS: g.user.password,
      CI: "true",
    });
    await box.writeConfig(
      ccEnv(g, "basic", "basic") +
        ccEnv(g, "post", "basic", 'client_auth = "client_secret_post"') +
        ccEnv(g, "odd", "odd") +
        ccEnv(g, "oddbasic", "oddBasic") +
        ccEnv(g, "wrong", "basic", "", "WRONG_SECRET") +
        passwordEnvToml("pw", {
          issuer: g.issuer,
          clientId: g.clients.basic.id,
          scopes: ["openid", "offline_access"],
        }) +
        ssoToml({
          issuer: g.issuer,
          clientId: g.clients.public.id,
          scopes: ["openid", "profile", "email", "offline_access"],
        }),
    );

    await t.step("Basic with -_.~ in id and secret: accepted on the first try", async () => {
      const r = await box.run(["auth", "token", "-e", "basic", "-v"]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stderr, /client authentication for env "basic": client_secret_basic/);
      assert(!/trying client_secret_post/.test(r.stderr), "no fallback needed");
      const jwt = jwtClaims(r.stdout.trim());
      assertEquals(jwt.iss, g.issuer);
      // glewlwyd's JWT access tokens verify against its published keys
      assertEquals(cacheEntry(box, "basic").verified, true);
      const post = await box.run(["auth", "token", "-e", "post"]);
      assertEquals(post.code, 0, post.stderr);
    });

    await t.step(
      "ids and secrets with +%:/: Basic refused (403, empty), post once, remembered",
      async () => {
        for (const env of ["odd", "oddbasic"]) {
          const r = await box.run(["auth", "token", "-e", env, "-v"]);
          assertEquals(r.code, 0, `${env}: ${r.stderr}`);
          assertMatch(
            r.stderr,
            /the IdP refused client_secret_basic \(HTTP 403\); trying client_secret_post once/,
          );
          assertEquals(cacheEntry(box, env).client_auth, "client_secret_post");
          const again = await box.run(["auth", "token", "-e", env, "--force", "-v"]);
          assertEquals(again.code, 0, again.stderr);
          assert(!/trying client_secret_post/.test(again.stderr), "the remembered method first");
        }
      },
    );

    await t.step("a wrong secret: both methods refused, exit 4, no third try", async () => {
      const r = await box.run(["auth", "token", "-e", "wrong"]);
      assertEquals(r.code, 4, r.stderr);
      assertMatch(
        r.stderr,
        /the IdP rejected the client with both client_secret_basic \(HTTP 403\) and client_secret_post \(HTTP 403\)/,
      );
    });

    await t.step("password grant, then refresh with rotation", async () => {
      const first = await box.run(["auth", "token", "-e", "pw"]);
      assertEquals(first.code, 0, first.stderr);
      const oldRefresh = cacheEntry(box, "pw").refresh_token as string;
      assert(oldRefresh, "a refresh token is cached");
      const renewed = await box.run(["auth", "token", "-e", "pw", "--min-ttl", "2h", "-v"]);
      assertEquals(renewed.code, 0, renewed.stderr);
      assertMatch(renewed.stderr, /refreshing the token for env "pw"/);
      assert(!/requesting a token/.test(renewed.stderr), "refreshed, not a new grant");
      assertNotEquals(renewed.stdout, first.stdout);
      assertNotEquals(cacheEntry(box, "pw").refresh_token, oldRefresh);
      const replay = await fetch(`${g.issuer}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: oldRefresh,
          client_id: g.clients.basic.id,
          client_secret: g.clients.basic.secret,
        }),
      });
      await replay.body?.cancel();
      assertEquals(replay.status, 400, "the old refresh token is dead");
    });

    await t.step("device flow without a terminal, completed in glewlwyd's login app", async () => {
      const login = await signInWithoutTerminal(
        ["login", "sso", "--device", "--timeout", "60s"],
        box.env,
        box.home,
        async (page, complete, run) => {
          // glewlwyd puts the user code in `?code=`: printed as is, not redacted
          const [, code] = run.stderr().match(/enter the code (\S+)/)!;
          assertEquals(new URL(complete).searchParams.get("code"), code);
          await g.login(page);
        },
      );
      assertEquals(await login.status, 0, login.stderr());
      assertMatch(login.stderr(), /Signed in to .* as alice@example\.test/);
      assert(!login.stderr().includes("\r"), "no animation without a terminal");
      const token = await box.run(["auth", "token", "-e", "app"]);
      assertEquals(token.code, 0, token.stderr);
      assertEquals(jwtClaims(token.stdout.trim()).iss, g.issuer);
    });

    await t.step(
      "browser sign-in: glewlwyd matches redirect URIs exactly, so a fixed --port",
      async () => {
        const port = freePort();
        await g.setRedirectUris([`http://127.0.0.1:${port}/callback`]);
        const login = await signInWithoutTerminal(
          ["login", "sso", "--no-browser", "--port", String(port), "--timeout", "60s"],
          box.env,
          box.home,
          async (page) => {
            await g.login(page);
            await page.waitForSelector("h1");
            assertMatch(
              (await page.textContent("main")) ?? "",
              /Signed in to lmi as alice@example\.test/,
            );
          },
        );
        assertEquals(await login.status, 0, login.stderr());
        assertEquals((await box.run(["auth", "token", "-e", "app"])).code, 0);
      },
    );

    await t.step(
      "a browser on another machine: the address it ends on, pasted on stdin, signs in",
      async () => {
        await box.run(["logout", "sso"]);
        assertEquals((await box.run(["auth", "status"])).code, 1, "signed out first");
        const port = freePort();
        await g.setRedirectUris([`http://127.0.0.1:${port}/callback`]);
        const login = runInBackground(
          ["login", "sso", "--no-browser", "--port", String(port), "--timeout", "60s"],
          box.env,
          box.home,
          { stdin: "piped" },
        );
        const browser = await launchChromium();
        try {
          const [, url] = await login.waitFor(SIGN_IN_URL.browser);
          // glewlwyd's login app, then its redirect, which cannot reach this lmi.
          const address = await addressBrowserEndsOn(browser, url!, (page) => g.login(page));
          await login.write(`${address}\n`);
          assertEquals(await login.status, 0, login.stderr());
          assertMatch(login.stderr(), /Signed in to .* as alice@example\.test/);
          assert(!login.stderr().includes(new URL(address).searchParams.get("code")!), "no code");
        } finally {
          login.kill();
          await login.status;
          await browser.close();
        }
        const token = await box.run(["auth", "token", "-e", "app"]);
        assertEquals(token.code, 0, token.stderr);
        assertEquals(jwtClaims(token.stdout.trim()).iss, g.issuer);
      },
    );

    await t.step(
      "a confidential SSO client: device sign-in, then logout revokes at glewlwyd",
      async () => {
        await using web = await sandbox({ WEB_SECRET: g.clients.web.secret, CI: "true" });
        await web.writeConfig(ssoToml({
          issuer: g.issuer,
          clientId: g.clients.web.id,
          scopes: ["openid", "email", "offline_access"],
          secretVar: "WEB_SECRET",
        }));
        const login = await signInWithoutTerminal(
          ["login", "sso", "--device", "--timeout", "60s"],
          web.env,
          web.home,
          (page) => g.login(page),
        );
        assertEquals(await login.status, 0, login.stderr());
        const token = (await web.run(["auth", "token", "-e", "app"])).stdout.trim();
        assertEquals(await active(g, token), true);
        const out = await web.run(["logout", "sso", "-v"]);
        assertEquals(out.code, 0, out.stderr);
        assertMatch(out.stderr, /revoked the session's tokens at the IdP/);
        assertEquals(await active(g, token), false, "revoked (RFC 7009), says introspection");
        assertEquals((await web.run(["auth", "token", "-e", "app"])).code, 4);
      },
    );
  },
});
