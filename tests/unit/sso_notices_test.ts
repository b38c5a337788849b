/**
 * What lmi tells a person about the SSO session, in process against the fake IdP: the file-store
 * notice once per user (remembered on disk) and in `auth status` with its reason, without nested
 * parentheses; scopes a refresh did not grant; `--min-ttl` longer than the IdP's token lifetime;
 * and why a sign-in switched to the device flow.
 */
import { assert, assertEquals, assertMatch, assertNotIncludes } from "../helpers/assert.ts";
import { IDP, ok, ssoAppConfig, storeSession, world } from "../helpers/in_process.ts";
import { fakeDeps } from "../helpers/fakes.ts";
import { dataDir } from "../../src/config/paths.ts";
import { fileStore } from "../../src/sso/store.ts";
import { saveSession, SESSION_VERSION } from "../../src/sso/session.ts";
import { join } from "../../src/util/path.ts";
import { ignoreUnless, LINUX, POSIX_MODES } from "../helpers/components.ts";

/** Store a session at the fake SSO IdP `issuer` for alice, valid until 01:00. */
function signedIn(
  env: Record<string, string>,
  issuer: string,
  extra: { scope?: string; expires_at?: string } = {},
) {
  return storeSession(env, { issuer, ...extra });
}

Deno.test("the file store: said once per user, and by auth status with its reason", async (t) => {
  await using w = await world(ssoAppConfig());
  delete w.env.LMI_KEYRING;
  w.env.CI = "true";
  const data = dataDir(fakeDeps({ env: w.env }))!;
  const notice =
    `lmi: warning: CI is set; the SSO session is kept in a private file under ${data} ` +
    "(mode 0600); this is said once, and lmi auth status shows it\n";

  await t.step("the first command says it", async () => {
    const r = await w.lmi("auth", "token", "-e", "app");
    assertEquals(r.code, 4, r.stderr);
    assert(r.stderr.startsWith(notice), r.stderr);
  });
  await t.step("the next commands do not: it is remembered on disk", async () => {
    const r = await w.lmi("auth", "token", "-e", "app");
    assertEquals(r.code, 4, r.stderr);
    assertNotIncludes(r.stderr, "warning");
  });
  const MODES = "the notices file is one of lmi's private files (0600)";
  await t.step({
    name: MODES,
    ignore: ignoreUnless(MODES, POSIX_MODES),
    fn: async () => {
      assertEquals((await Deno.stat(join(data, "notices.json"))).mode! & 0o777, 0o600);
    },
  });
  await t.step("auth status names the store and why, without nested parentheses", async () => {
    const r = await w.lmi("auth", "status");
    assertEquals(r, {
      code: 1,
      stdout: `SSO ${IDP.ssoIssuer}: not signed in (run lmi login sso)\n` +
        `SSO session store: the file store ${join(data, "sso")}, because CI is set\n` +
        "env app (sso): no token cached\n",
      stderr: "",
    });
    await signedIn(w.env, IDP.ssoIssuer);
    const after = await w.lmi("auth", "status");
    assertEquals(after.code, 0, after.stderr);
    assertEquals(
      after.stdout.split("\n").slice(0, 2),
      [
        `SSO ${IDP.ssoIssuer}: signed in as alice@example.com, access token expires in 1h00m ` +
        "(2026-01-01T01:00:00.000Z)",
        `SSO session store: the file store ${join(data, "sso")}, because CI is set`,
      ],
    );
    for (const line of after.stdout.split("\n")) {
      assert(!/\([^)]*\(/.test(line), `nested parentheses: ${line}`);
    }
    const json = JSON.parse((await w.lmi("auth", "status", "--json")).stdout);
    assertEquals([json.sso.store, json.sso.store_reason], [
      `file (${join(data, "sso")})`,
      "CI is set",
    ]);
  });
  await t.step("LMI_KEYRING=file asked for it: no notice, the reason in auth status", async () => {
    await Deno.remove(join(data, "notices.json"));
    delete w.env.CI;
    w.env.LMI_KEYRING = "file";
    const r = await w.lmi("auth", "status");
    assertEquals(r.stderr, "");
    assertMatch(r.stdout, /SSO session store: the file store .*, because LMI_KEYRING=file\n/);
  });
});

Deno.test("a refresh: scopes not granted are named, --min-ttl past the lifetime warns", async (t) => {
  await using w = await world(
    ssoAppConfig(IDP.ssoIssuer, 'scopes = ["openid", "email", "groups"]'),
  );
  const expired = { expires_at: "2025-12-31T23:00:00.000Z" };

  await t.step("a refresh whose scope lacks one the session had: a warning", async () => {
    await signedIn(w.env, IDP.ssoIssuer, { ...expired, scope: "openid email groups" });
    w.ssoRefresh = { expires_in: 3600, scope: "openid email" };
    const r = await w.lmi("auth", "token", "-e", "app");
    assertEquals(
      r,
      ok(
        "sso-at-1\n",
        'lmi: warning: the IdP did not grant the scope "groups" for the SSO session ' +
          '(requested "openid email groups", granted "openid email")\n',
      ),
    );
  });
  await t.step("the refreshed session, read again: no second warning", async () => {
    assertEquals(await w.lmi("auth", "token", "-e", "app"), ok("sso-at-1\n"));
  });
  await t.step("a refresh without scope (as granted before): no warning", async () => {
    await signedIn(w.env, IDP.ssoIssuer, expired);
    w.ssoRefresh = { expires_in: 3600 };
    assertEquals(await w.lmi("auth", "token", "-e", "app"), ok("sso-at-2\n"));
  });
  await t.step(
    "--min-ttl longer than the IdP's tokens live: refreshed, with a warning",
    async () => {
      assertEquals(
        await w.lmi("auth", "token", "-e", "app", "--min-ttl", "2h"),
        ok(
          "sso-at-3\n",
          "lmi: warning: the refreshed SSO token is valid for 1h00m, less than --min-ttl 2h00m " +
            "(the IdP's token lifetime is shorter)\n",
        ),
      );
    },
  );
  await t.step("--min-ttl past a session without a refresh token: not called expired", async () => {
    await saveSession(fileStore(dataDir(fakeDeps({ env: w.env }))!), {
      version: SESSION_VERSION,
      issuer: IDP.ssoIssuer,
      client_id: "lmi",
      access_token: "sso-at",
      token_type: "Bearer",
      expires_at: "2026-01-01T00:10:00.000Z",
      user: { sub: "alice" },
      obtained_at: "2026-01-01T00:00:00.000Z",
    });
    const r = await w.lmi("auth", "token", "-e", "app", "--min-ttl", "1h");
    assertEquals(r.code, 4, r.stderr);
    assertEquals(
      r.stderr,
      "lmi: error: session ends in 10m00s: run `lmi login sso`\n" +
        "hint: the SSO session's token ends in 10m00s, before --min-ttl 1h00m and there is no " +
        "refresh token; sign in with lmi login sso\n",
    );
  });
});

const NO_DISPLAY = "a sign-in that switches to the device flow says why, in one line";
Deno.test({
  name: NO_DISPLAY,
  ignore: ignoreUnless(NO_DISPLAY, { os: LINUX, why: "the DISPLAY rule is Linux's" }),
  fn: async (t) => {
    await using w = await world(ssoAppConfig(IDP.ssoDeviceIssuer));
    w.terminal = true;
    await t.step("no display: the device flow, and why", async () => {
      const r = await w.lmi("login", "sso", "--timeout", "1s");
      assertEquals(r.code, 4, r.stderr);
      assertEquals(
        r.stderr.split("\n")[0],
        "No display (DISPLAY/WAYLAND_DISPLAY unset): using the device flow",
      );
    });
    await t.step("over SSH too: both reasons", async () => {
      w.env.SSH_CONNECTION = "10.0.0.1 50000 10.0.0.2 22";
      const r = await w.lmi("login", "sso", "--timeout", "1s");
      assertEquals(
        r.stderr.split("\n")[0],
        "No display (DISPLAY/WAYLAND_DISPLAY unset, SSH session): using the device flow",
      );
      delete w.env.SSH_CONNECTION;
    });
    await t.step(
      "an IdP without the device flow: the URL, and the address the browser ends on pasted",
      async () => {
        await w.writeConfig(ssoAppConfig(IDP.ssoIssuer));
        w.typed = [async (run) => {
          for (let i = 0; i < 200 && !/ {2}https:\S+/.test(run.stderr.text()); i++) {
            await new Promise((r) => setTimeout(r, 5));
          }
          return w.authorize(/ {2}(https:\S+)/.exec(run.stderr.text())![1]!).href;
        }];
        const r = await w.lmi("login", "sso", "--timeout", "5s");
        assertEquals(r.code, 0, r.stderr);
        const lines = r.stderr.split("\n");
        assertEquals(
          lines[0],
          "No display (DISPLAY/WAYLAND_DISPLAY unset) and the IdP offers no device flow: sign " +
            "in in a browser anywhere and paste the address it ends on",
        );
        assertEquals(lines[1], "To sign in to lmi, open this URL in a browser:");
        assertMatch(lines.at(-2)!, /^Signed in to https:\/\/sso\.example as alice@example\.com/);
        // The person types on this terminal: no line redrawn over what they paste.
        assert(!r.stderr.includes("\r"), JSON.stringify(r.stderr));
      },
    );
    await t.step("nobody pastes: --timeout ends it", async () => {
      const r = await w.lmi("login", "sso", "--timeout", "1s");
      assertEquals(r.code, 4, r.stderr);
      assertMatch(r.stderr, /lmi: error: nobody completed the sign-in within 1s/);
    });
  },
});
