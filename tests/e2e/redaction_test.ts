/**
 * The redaction sweep: every command of the service-token issue at -vv, with known secret
 * values, must not print a secret, password, access or refresh token, except the token that
 * `auth token` was asked to print, on stdout.
 */
import { cacheEntry } from "../helpers/cache.ts";
import { assertEquals, assertNotIncludes } from "../helpers/assert.ts";
import { sandbox } from "../helpers/cli.ts";
import { devSandbox, passwordEnv, serviceEnv } from "../helpers/dev_world.ts";
import { LEAK_SECRETS, startHostile } from "../helpers/hostile.ts";
import { startDevIdp } from "../../scripts/dev_idp/mod.ts";

Deno.test("no secret or token appears in any output at -vv", async () => {
  await using idp = await startDevIdp();
  await using box = await devSandbox(
    idp,
    `default_env = "dev"\n` + serviceEnv(idp, "dev") + passwordEnv(idp, "pw"),
  );
  const runs: Array<[string[], boolean]> = [
    [["login", "-vv"], false],
    [["login", "-vv", "-e", "pw"], false],
    [["auth", "token", "-vv", "--force"], true],
    [["auth", "token", "-vv", "-e", "pw", "--min-ttl", "2h"], true],
    [["auth", "token", "-vv", "-e", "pw", "--format", "json"], true],
    [["auth", "token", "-vv", "--format", "header"], true],
    [["auth", "status", "-vv"], false],
    [["auth", "status", "-vv", "--json", "-e", "pw"], false],
    [["env", "list", "-vv"], false],
    [["env", "list", "-vv", "--json"], false],
    [["env", "show", "-vv", "pw"], false],
    [["env", "show", "-vv", "--json"], false],
    [["auth", "token", "-vv", "-e", "pw"], true],
    [["auth", "token", "-vv", "-e", "pw"], true],
    [["logout", "-vv", "-e", "pw"], false],
    [["logout", "-vv", "--all"], false],
    [["auth", "token", "-vv", "--force"], true],
  ];
  const form = (v: string) => new URLSearchParams({ v }).toString().slice(2);
  const basic = (id: string, secret: string) => btoa(`${form(id)}:${form(secret)}`);
  const secrets = new Set([
    idp.clients.basic.secret,
    idp.clients.password.secret,
    idp.users.alice.password,
    basic(idp.clients.password.id, idp.clients.password.secret),
  ]);
  const seenTokens = new Set<string>();
  const outputs: Array<{ args: string[]; stdout: string; stderr: string; printed: string }> = [];
  for (const [args, printsToken] of runs) {
    const r = await box.run(args);
    assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    let printed = "";
    if (printsToken) {
      printed = args.includes("json")
        ? JSON.parse(r.stdout).access_token
        : r.stdout.trim().replace(/^Authorization: Bearer /, "");
    }
    for (const env of ["dev", "pw"]) {
      try {
        const cached = cacheEntry(box, env);
        seenTokens.add(cached.access_token as string);
        if (cached.refresh_token) seenTokens.add(cached.refresh_token as string);
      } catch { /* not cached at this point */ }
    }
    outputs.push({ args, stdout: r.stdout, stderr: r.stderr, printed });
  }
  assertEquals(seenTokens.size > 4, true, "the sweep saw several access and refresh tokens");
  for (const o of outputs) {
    for (const secret of [...secrets, ...seenTokens]) {
      assertNotIncludes(o.stderr, secret, `stderr of lmi ${o.args.join(" ")} leaks a secret`);
      if (secret !== o.printed) {
        assertNotIncludes(o.stdout, secret, `stdout of lmi ${o.args.join(" ")} leaks a secret`);
      }
    }
  }
});

/** Neither `secret` nor any 16 characters of it are in `text`. */
function assertNoPart(text: string, secret: string, what: string): void {
  assertNotIncludes(text, secret, `${what} shows the whole secret`);
  for (let i = 0; i + 16 <= secret.length; i++) {
    assertNotIncludes(text, secret.slice(i, i + 16), `${what} shows characters ${i}-${i + 15}`);
  }
}

Deno.test("-vv shows no token an IdP's answer hides from the patterns", async (t) => {
  await using server = startHostile();
  const auth = `client_id = "c"\nclient_secret_env = "SVC_SECRET"\n`;
  await using box = await sandbox({
    SVC_SECRET: "hostile-secret",
    ACTIONS_ID_TOKEN_REQUEST_URL: `${server.base("escaped-value")}/oidc?v=1`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: "github-request-token-for-the-test",
  });
  await box.writeConfig(`[envs.escaped-key.auth]
type = "client_credentials"
token_url = "${server.base("escaped-key")}/token"
${auth}
[envs.snippet-edge.auth]
type = "client_credentials"
token_url = "${server.base("snippet-edge")}/token"
${auth}
[envs.escaped-value.auth]
type = "token_exchange"
token_url = "${server.base("escaped-value")}/token"
subject_token_source = "github_actions"
${auth}
`);
  const token = (env: string) => box.run(["auth", "token", "-vv", "-e", env], { limitMs: 40_000 });
  const runs = {
    escapedKey: token("escaped-key"),
    snippetEdge: token("snippet-edge"),
    escapedValue: token("escaped-value"),
  };

  await t.step("an access_token key written with a JSON escape (\\u0061ccess_token)", async () => {
    const r = await runs.escapedKey;
    assertEquals([r.code, r.stdout], [0, `${LEAK_SECRETS.escapedKey}\n`], r.stderr);
    assertNoPart(r.stderr, LEAK_SECRETS.escapedKey, "stderr");
  });
  await t.step("a token across the edge of the 2 KB the log shows", async () => {
    const r = await runs.snippetEdge;
    assertEquals([r.code, r.stdout], [0, `${LEAK_SECRETS.snippetEdge}\n`], r.stderr);
    assertNoPart(r.stderr, LEAK_SECRETS.snippetEdge, "stderr");
  });
  await t.step("GitHub Actions' OIDC answer with \\u0076alue: the subject token", async () => {
    const r = await runs.escapedValue;
    assertEquals([r.code, r.stdout], [0, "hostile-good-token\n"], r.stderr);
    assertNoPart(r.stderr, LEAK_SECRETS.subjectToken, "stderr");
    assertNoPart(r.stderr, "github-request-token-for-the-test", "stderr");
  });
});
