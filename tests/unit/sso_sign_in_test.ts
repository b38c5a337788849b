/**
 * The SSO sign-in in process, against the fake IdP behind the injected fetch: the authorization
 * request lmi builds (`prompt=consent` for offline access, OIDC Core 1.0 §11, and `[sso] prompt`),
 * and hints that fit the IdP (`--device` only where discovery offers the device flow; a sign-in
 * nobody completed names the redirect URI and what an IdP matching it exactly needs).
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { IDP, ssoAppConfig, world } from "../helpers/in_process.ts";

/** The authorization URL `lmi login sso --no-browser` printed (it then timed out: exit 4). */
function printedUrl(stderr: string): URL {
  const m = /^ {2}(https:\/\/\S+\/auth\?\S+)$/m.exec(stderr);
  assert(m, `an authorization URL in:\n${stderr}`);
  return new URL(m[1]!);
}

const LOGIN = ["login", "sso", "--no-browser", "--timeout", "1s"];

Deno.test("the authorization request: prompt=consent for offline access, [sso] prompt", async (t) => {
  await using w = await world(ssoAppConfig());
  const prompt = async (sso: string) => {
    await w.writeConfig(ssoAppConfig(IDP.ssoIssuer, sso));
    const r = await w.lmi(...LOGIN);
    assertEquals(r.code, 4, r.stderr);
    const url = printedUrl(r.stderr);
    return { scope: url.searchParams.get("scope"), prompt: url.searchParams.get("prompt") };
  };

  await t.step("the default scopes hold offline_access: prompt=consent", async () => {
    assertEquals(await prompt(""), {
      scope: "openid profile email offline_access",
      prompt: "consent",
    });
  });
  await t.step("scopes without offline_access: no prompt", async () => {
    assertEquals(await prompt('scopes = ["openid", "email"]'), {
      scope: "openid email",
      prompt: null,
    });
  });
  await t.step('prompt = "login": sent as is, in place of consent', async () => {
    assertEquals((await prompt('prompt = "login"')).prompt, "login");
    assertEquals((await prompt('prompt = "login consent"')).prompt, "login consent");
  });
  await t.step('prompt = "": no prompt at all', async () => {
    assertEquals((await prompt('prompt = ""')).prompt, null);
  });
  await t.step(
    "env show: the prompt an sso env signs in with, and where it came from",
    async () => {
      const shown = async (sso: string) => {
        await w.writeConfig(ssoAppConfig(IDP.ssoIssuer, sso));
        return JSON.parse((await w.lmi("env", "show", "app", "--json")).stdout)
          .values["sso.prompt"];
      };
      assertEquals(await shown(""), { value: "consent", source: "default" });
      assertEquals(await shown('prompt = ""'), { value: null, source: `${w.dir}/lmi.toml` });
      assertEquals(await shown('prompt = "login"'), {
        value: "login",
        source: `${w.dir}/lmi.toml`,
      });
    },
  );
});

Deno.test("sign-in hints fit the IdP", async (t) => {
  await using w = await world(ssoAppConfig());

  await t.step(
    "a sign-in nobody completes names the redirect URI and what exact-match IdPs need",
    async () => {
      const r = await w.lmi(...LOGIN);
      assertEquals(r.code, 4, r.stderr);
      const redirect = printedUrl(r.stderr).searchParams.get("redirect_uri")!;
      assertMatch(redirect, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      assertMatch(r.stderr, /lmi: error: nobody completed the sign-in within 1s\nhint: /);
      const hint = r.stderr.split("\nhint: ")[1]!;
      assert(hint.includes(redirect), `the hint names ${redirect}: ${hint}`);
      assertMatch(hint, /match redirect URIs exactly, port included/);
      assertMatch(hint, /redirect_port/);
      assert(!hint.includes("--device"), `no --device: the IdP has no device flow: ${hint}`);
    },
  );
  await t.step("with a fixed port, the hint names that redirect URI", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const r = await w.lmi(...LOGIN, "--port", String(port));
    assertEquals(r.code, 4, r.stderr);
    assertMatch(r.stderr, new RegExp(`hint: .*http://127\\.0\\.0\\.1:${port}/callback`));
  });
  await t.step("a non-interactive sign-in: --no-browser, not --device", async () => {
    const r = await w.lmi("login", "sso");
    assertEquals(r.code, 4, r.stderr);
    assertMatch(r.stderr, /not interactive[^\n]*\nhint: run lmi login sso --no-browser/);
    assert(!r.stderr.includes("--device"), r.stderr);
  });
  await t.step("an sso env without a session: no --device", async () => {
    const r = await w.lmi("auth", "token", "-e", "app");
    assertEquals(r.code, 4, r.stderr);
    assertMatch(r.stderr, /not signed in: run `lmi login sso`\nhint: /);
    assert(!r.stderr.includes("--device"), r.stderr);
  });

  await w.writeConfig(ssoAppConfig(IDP.ssoDeviceIssuer));
  await t.step("an IdP with the device flow: the hints offer --device", async () => {
    const timedOut = await w.lmi(...LOGIN);
    assertMatch(timedOut.stderr, /hint: .*--device/);
    const refused = await w.lmi("login", "sso");
    assertMatch(refused.stderr, /not interactive[^\n]*\nhint: run lmi login sso --device/);
    const missing = await w.lmi("auth", "token", "-e", "app");
    assertEquals(missing.code, 4, missing.stderr);
    assertMatch(missing.stderr, /hint: .*--device/);
  });
});

Deno.test("Ctrl-C while waiting for the sign-in: the progress line ends, exit 130", async () => {
  await using w = await world(ssoAppConfig());
  w.terminal = true;
  // A browser that opens nothing (`true URL`); with --no-browser the person may paste on this
  // terminal, where no line is redrawn (tests/unit/sso_paste_test.ts).
  w.env.BROWSER = "true";
  const run = w.lmi("login", "sso", "--timeout", "3s");
  // The animated line is drawn each second.
  for (let i = 0; i < 100 && !w.running?.stderr.text().includes(" left"); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const heard = w.running!.interrupt();
  const r = await run;
  assert(heard, "the wait listens for Ctrl-C");
  assertEquals(r.code, 130, r.stderr);
  const last = r.stderr.split("\r\x1b[2K").at(-1)!;
  assertMatch(last, /^waiting for the sign-in… \d+s left\n$/);
});
