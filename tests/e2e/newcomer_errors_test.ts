/**
 * The mistakes newcomers make with an issuer, against the real dev IdP (issue 17 §4): one
 * `lmi: error:` line that says what the IdP answered, a hint naming the setting to change (the
 * key with file:line, or the variable), and the documented exit code. Also the scopes an IdP did
 * not grant, said once when the token is obtained.
 */
import { assert, assertEquals, assertMatch, assertNotIncludes } from "../helpers/assert.ts";
import type { RunResult } from "../helpers/cli.ts";
import { devSandbox, serviceEnv } from "../helpers/dev_world.ts";
import { serve } from "../helpers/servers.ts";
import { ignoreUnless } from "../helpers/components.ts";
import { NEEDS_CHROMIUM } from "../helpers/browser.ts";
import { deviceSignInAs, signInWithoutTerminal } from "../helpers/background.ts";
import { type DevIdp, startDevIdp } from "../../scripts/dev_idp/mod.ts";

/** One `lmi: error:` line and one `hint:` line, nothing else, and the exit code. */
function assertOneError(r: RunResult, code: number): { message: string; hint: string } {
  assertEquals(r.code, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split("\n");
  assertEquals(lines.length, 2, `two lines expected: ${r.stderr}`);
  assertMatch(lines[0]!, /^lmi: error: /);
  assertMatch(lines[1]!, /^hint: \S/);
  return { message: lines[0]!.slice("lmi: error: ".length), hint: lines[1]!.slice(6) };
}

/** The 1-based line of `needle` in `text`. */
function lineOf(text: string, needle: string): number {
  const n = text.split("\n").findIndex((l) => l.includes(needle));
  assert(n >= 0, `${needle} in the config`);
  return n + 1;
}

function config(idp: DevIdp, issuer: string, auth = ""): string {
  return `default_env = "dev"\n` +
    serviceEnv(idp, "dev", { auth }).replace(`issuer = "${idp.issuer}"`, `issuer = "${issuer}"`);
}

Deno.test("an issuer the IdP does not answer to: which URL to write, and where", async (t) => {
  await using idp = await startDevIdp();
  const port = new URL(idp.issuer).port;
  const localhost = `http://localhost:${port}`;
  await using box = await devSandbox(idp, config(idp, localhost));
  const path = `${box.home}/lmi.toml`;

  await t.step("localhost for 127.0.0.1: the issuer the IdP reported, the key's line", async () => {
    const toml = config(idp, localhost);
    await box.writeConfig(toml);
    const { message, hint } = assertOneError(await box.run(["auth", "token"]), 3);
    assertEquals(
      message,
      `the IdP at ${localhost} says its issuer is "${idp.issuer}", not "${localhost}"`,
    );
    assertNotIncludes(message, "{");
    assertEquals(
      hint,
      `set envs.dev.auth.issuer at ${path}:${lineOf(toml, "issuer =")} to "${idp.issuer}", ` +
        "the issuer the IdP names (tokens are checked against it)",
    );
  });
  await t.step("from LMI_ISSUER: the variable is named", async () => {
    const r = await box.run(["auth", "token"], {
      cwd: box.dir,
      env: { LMI_ISSUER: localhost, LMI_CLIENT_ID: "svc-basic", LMI_CLIENT_SECRET: "x" },
    });
    const { hint } = assertOneError(r, 3);
    assertEquals(
      hint,
      `set LMI_ISSUER to "${idp.issuer}", the issuer the IdP names (tokens are checked against it)`,
    );
  });
  await t.step("[sso] issuer: the key sso.issuer", async () => {
    const toml = `[sso]\nissuer = "${localhost}"\nclient_id = "lmi"\n`;
    await box.writeConfig(toml);
    const r = await box.run(["login", "sso", "--no-browser", "--timeout", "1s"]);
    const { hint } = assertOneError(r, 3);
    assertMatch(hint, new RegExp(`^set sso\\.issuer at ${path}:2 to "${idp.issuer}"`));
  });
  await t.step("a trailing slash is still the same issuer", async () => {
    await box.writeConfig(config(idp, `${idp.issuer}/`));
    const r = await box.run(["auth", "token"]);
    assertEquals(r.code, 0, r.stderr);
  });

  await t.step("no discovery document: every URL tried, with its status", async () => {
    const realm = `${idp.issuer}/realms/x`;
    const toml = config(idp, realm);
    await box.writeConfig(toml);
    const { message, hint } = assertOneError(await box.run(["auth", "token"]), 3);
    assertEquals(
      message,
      `no discovery document at the issuer ${realm}: ` +
        `${realm}/.well-known/openid-configuration answered HTTP 404, ` +
        `${idp.issuer}/.well-known/oauth-authorization-server/realms/x answered HTTP 404`,
    );
    assertEquals(
      hint,
      `check envs.dev.auth.issuer at ${path}:${lineOf(toml, "issuer =")}: it must be the ` +
        "issuer the IdP names in its discovery document; or set token_url instead",
    );
  });
  await t.step("an API at the issuer (JSON, not a discovery document): said so", async () => {
    await using api = serve(() => Response.json({ status: "ok", version: 3 }));
    await box.writeConfig(config(idp, `${api.url}/api`));
    const { message } = assertOneError(await box.run(["auth", "token"]), 3);
    assertEquals(
      message,
      `the issuer ${api.url}/api answers like an API, not an IdP: ` +
        `${api.url}/api/.well-known/openid-configuration answered HTTP 200 with JSON that is ` +
        "not a discovery document, " +
        `${api.url}/.well-known/oauth-authorization-server/api answered HTTP 200 with JSON ` +
        "that is not a discovery document",
    );
  });
  await t.step("a web page at the issuer (HTML): said so", async () => {
    await using site = serve(() =>
      new Response("<!doctype html><title>app</title>", {
        headers: { "content-type": "text/html; charset=utf-8" },
      })
    );
    await box.writeConfig(config(idp, `${site.url}/app`));
    const { message } = assertOneError(await box.run(["auth", "token"]), 3);
    assertMatch(message, new RegExp(`^the issuer ${site.url}/app answers like a web site, `));
    assertMatch(message, /openid-configuration answered HTTP 200 with an HTML page, /);
  });
  await t.step("the dev IdP's API (JSON 404s): no discovery document, both URLs", async () => {
    await box.writeConfig(config(idp, idp.apiUrl));
    const { message } = assertOneError(await box.run(["auth", "token"]), 3);
    assertMatch(message, /^no discovery document at the issuer /);
    assertMatch(message, /openid-configuration answered HTTP 404, .*oauth-authorization-server/);
  });

  await t.step("https:// to the plain-http IdP: it does not speak TLS, exit 5", async () => {
    const https = `https://127.0.0.1:${port}`;
    await box.writeConfig(config(idp, https));
    const { message, hint } = assertOneError(await box.run(["auth", "token"]), 5);
    assertEquals(
      message,
      `the server at 127.0.0.1:${port} does not speak TLS ` +
        `(requesting ${https}/.well-known/openid-configuration)`,
    );
    assertEquals(
      hint,
      "a local server without TLS is reached with http://: write " +
        `http://127.0.0.1:${port} instead of ${https}`,
    );
    assertNotIncludes(message, "InvalidContentType");
  });
});

Deno.test("scopes the IdP did not grant: a warning when the token is obtained", async (t) => {
  await using idp = await startDevIdp();
  await using box = await devSandbox(
    idp,
    config(idp, idp.issuer, 'scopes = ["api.read", "api.wirte"]'),
  );

  await t.step("a typo'd scope next to a granted one: named at normal verbosity", async () => {
    const r = await box.run(["auth", "token"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(
      r.stderr,
      'lmi: warning: the IdP did not grant the scope "api.wirte" for env "dev" ' +
        '(requested "api.read api.wirte", granted "api.read")\n',
    );
  });
  await t.step("the cached token: no second warning", async () => {
    const r = await box.run(["auth", "token"]);
    assertEquals([r.code, r.stderr], [0, ""]);
  });
  await t.step("every scope granted: no warning", async () => {
    await box.writeConfig(config(idp, idp.issuer, 'scopes = ["api.read"]'));
    const r = await box.run(["auth", "token", "--force"]);
    assertEquals([r.code, r.stderr], [0, ""]);
  });
  await t.step("the only scope typo'd: the IdP says nothing, its metadata does", async () => {
    // oidc-provider leaves `scope` out when it grants none of the requested scopes.
    await box.writeConfig(config(idp, idp.issuer, 'scopes = ["api.raed"]'));
    const r = await box.run(["auth", "token", "--force"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(
      r.stderr,
      /^lmi: warning: the IdP does not list the scope "api\.raed" \(env "dev"\) among those it supports, and did not say which it granted: check the name \(it lists .*"api\.read"/,
    );
  });
});

// oidc-provider answers a sign-in with `scope: ""` (its access token is for the API resource, the
// ID token carries the rest): that says nothing about what was granted, so nothing is warned.
const SSO_SCOPES = "a sign-in at oidc-provider (an empty scope in its answer): no false warning";
Deno.test({
  name: SSO_SCOPES,
  ignore: ignoreUnless(SSO_SCOPES, NEEDS_CHROMIUM),
  fn: async () => {
    await using idp = await startDevIdp();
    await using box = await devSandbox(idp, "", { LMI_KEYRING: "file", CI: "true" });
    await box.writeConfig(`[sso]
issuer = "${idp.issuer}"
client_id = "${idp.clients.public.id}"
`);
    const login = await signInWithoutTerminal(
      ["login", "sso", "--device", "--timeout", "60s"],
      box.env,
      box.home,
      deviceSignInAs(idp.users.alice),
    );
    assertEquals(await login.status, 0, login.stderr());
    assertMatch(login.stderr(), /Signed in to .* as alice@example\.com/);
    assertNotIncludes(login.stderr(), "did not grant");
  },
});
