/**
 * Workload identity end to end: the real lmi program against the dev IdP, which trusts a test
 * "CI issuer". Token exchange (RFC 8693) with a rotated file, jwt-bearer (RFC 7523 §2.1) with a
 * variable, federated client assertions (§2.2) with a GitHub Actions-style OIDC endpoint, the
 * cache, the failures, and the subject token never printed.
 */
import { join } from "node:path";
import {
  assertEquals,
  assertMatch,
  assertNotIncludes,
  assertStringIncludes,
} from "../helpers/assert.ts";
import { type Sandbox, sandbox } from "../helpers/cli.ts";
import { type DevIdp, startDevIdp } from "../../scripts/dev_idp/mod.ts";

const ROTATED_SUB = "repo:lmi-dev/app:ref:refs/heads/rotated";

function claims(token: string): Record<string, unknown> {
  const payload = token.split(".")[1]!;
  return JSON.parse(
    new TextDecoder().decode(
      Uint8Array.from(atob(payload.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)),
    ),
  );
}

/** `[envs.NAME]` of the dev IdP with `auth` lines (type, client, source) added. */
function workloadEnv(idp: DevIdp, name: string, auth: string): string {
  return `[envs.${name}]
base_url = "${idp.apiUrl}"
[envs.${name}.auth]
issuer = "${idp.issuer}"
scopes = ["api.read"]
${auth}
`;
}

function exchangeEnv(idp: DevIdp, file: string, name = "tx"): string {
  return workloadEnv(
    idp,
    name,
    `type = "token_exchange"
client_id = "${idp.clients.workload.id}"
subject_token_source = "file"
subject_token_file = ${JSON.stringify(file)}`,
  );
}

function bearerEnv(idp: DevIdp, variable: string, name = "jb"): string {
  return workloadEnv(
    idp,
    name,
    `type = "jwt_bearer"
client_id = "${idp.clients.workload.id}"
subject_token_source = "env"
subject_token_env = "${variable}"`,
  );
}

function federatedEnv(idp: DevIdp, name = "fed"): string {
  return workloadEnv(
    idp,
    name,
    `type = "client_credentials"
client_id = "${idp.clients.federated.id}"
client_auth = "federated_jwt"
subject_token_source = "github_actions"
subject_token_audience = "${idp.issuer}"`,
  );
}

function githubVars(idp: DevIdp): Record<string, string> {
  return {
    ACTIONS_ID_TOKEN_REQUEST_URL: idp.ci.github.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: idp.ci.github.requestToken,
  };
}

async function box(toml: string, env: Record<string, string> = {}): Promise<Sandbox> {
  const b = await sandbox(env);
  await b.writeConfig(toml);
  return b;
}

Deno.test("workload identity against the dev IdP", async (t) => {
  await using idp = await startDevIdp();
  const TX = "urn:ietf:params:oauth:grant-type:token-exchange";
  const JB = "urn:ietf:params:oauth:grant-type:jwt-bearer";

  await t.step("token exchange with a file: a rotated file is read again", async () => {
    await using b = await sandbox();
    const file = join(b.dir, "projected-token");
    await Deno.writeTextFile(file, await idp.ci.mint({ aud: idp.issuer }) + "\n");
    await b.writeConfig(exchangeEnv(idp, file));
    idp.stats.reset();
    const first = await b.run(["auth", "token", "--env", "tx"]);
    assertEquals(first.code, 0, first.stderr);
    assertEquals(idp.stats.byGrant[TX], 1);
    assertEquals(claims(first.stdout.trim()).iss, idp.issuer);
    assertEquals(claims(first.stdout.trim()).sub, "repo:lmi-dev/app:ref:refs/heads/main");

    // The kubelet rotates the token; the next acquisition presents the new one.
    await Deno.writeTextFile(file, await idp.ci.mint({ aud: idp.issuer, sub: ROTATED_SUB }));
    const second = await b.run(["auth", "token", "--env", "tx", "--force"]);
    assertEquals(second.code, 0, second.stderr);
    assertEquals(claims(second.stdout.trim()).sub, ROTATED_SUB);
    assertEquals(idp.stats.byGrant[TX], 2);

    // Warm: no request at all, and the API accepts the token.
    idp.stats.reset();
    const warm = await b.run(["auth", "token", "--env", "tx"]);
    assertEquals(warm.stdout, second.stdout);
    assertEquals(idp.stats.tokenRequests, 0);
    const api = await b.run(["request", "--env", "tx", "/whoami"]);
    assertEquals(api.code, 0, api.stderr);
    // env show says where the subject token comes from
    const shown = JSON.parse((await b.run(["env", "show", "tx", "--json"])).stdout);
    assertEquals(shown.values["auth.subject_token_source"].value, "file");
    assertEquals(shown.values["auth.subject_token_file"].value, file);
  });

  await t.step("jwt-bearer with the token in a variable", async () => {
    const subject = await idp.ci.mint({ aud: `${idp.issuer}/token` });
    await using b = await box(bearerEnv(idp, "CI_ID_TOKEN"), { CI_ID_TOKEN: subject });
    idp.stats.reset();
    const r = await b.run(["auth", "token", "--env", "jb", "-v"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(idp.stats.byGrant[JB], 1);
    assertStringIncludes(r.stderr, "variable CI_ID_TOKEN");
    assertNotIncludes(r.stderr, subject);
    const shown = await b.run(["env", "show", "jb"]);
    assertMatch(shown.stdout, /auth\.subject_token +set \(CI_ID_TOKEN\)/);
    assertNotIncludes(shown.stdout, subject);
    const warm = await b.run(["auth", "token", "--env", "jb"]);
    assertEquals(warm.stdout, r.stdout);
    assertEquals(idp.stats.tokenRequests, 1);
  });

  await t.step(
    "federated_jwt with GitHub Actions: audience and bearer sent, cached",
    async () => {
      await using b = await box(federatedEnv(idp), githubVars(idp));
      idp.stats.reset();
      idp.ci.github.reset();
      const r = await b.run(["auth", "token", "--env", "fed"]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(idp.ci.github.requests.length, 1);
      const [req] = idp.ci.github.requests;
      assertEquals([req!.audience, req!.bearerOk], [idp.issuer, true]);
      assertEquals(idp.stats.byGrant.client_credentials, 1);
      assertEquals(claims(r.stdout.trim()).client_id, idp.clients.federated.id);

      const warm = await b.run(["auth", "token", "--env", "fed"]);
      assertEquals(warm.stdout, r.stdout);
      assertEquals([idp.stats.tokenRequests, idp.ci.github.requests.length], [1, 1]);
    },
  );

  await t.step("-vv never shows the subject token (file, variable, GitHub)", async () => {
    const fileToken = await idp.ci.mint({ aud: idp.issuer, claims: { run: "vv-file" } });
    const envToken = await idp.ci.mint({ aud: idp.issuer, claims: { run: "vv-env" } });
    await using b = await sandbox({ ...githubVars(idp), CI_ID_TOKEN: envToken });
    const file = join(b.dir, "token");
    await Deno.writeTextFile(file, fileToken);
    await b.writeConfig(
      exchangeEnv(idp, file) + bearerEnv(idp, "CI_ID_TOKEN") + federatedEnv(idp),
    );
    idp.ci.github.reset();
    for (const env of ["tx", "jb", "fed"]) {
      const r = await b.run(["auth", "token", "--env", env, "-vv"]);
      assertEquals(r.code, 0, r.stderr);
      const out = r.stdout + r.stderr;
      for (const secret of [fileToken, envToken, idp.ci.github.requestToken]) {
        assertNotIncludes(out, secret);
      }
      assertStringIncludes(r.stderr, "[REDACTED]");
    }
  });

  await t.step("the subject token file missing or empty: exit 3 naming it", async () => {
    await using b = await sandbox();
    const file = join(b.dir, "absent-token");
    await b.writeConfig(exchangeEnv(idp, file));
    idp.stats.reset();
    const missing = await b.run(["auth", "token", "--env", "tx"]);
    assertEquals(missing.code, 3, missing.stderr);
    assertStringIncludes(missing.stderr, file);
    await Deno.writeTextFile(file, "\n");
    const empty = await b.run(["auth", "token", "--env", "tx"]);
    assertEquals(empty.code, 3, empty.stderr);
    assertStringIncludes(empty.stderr, file);
    assertMatch(empty.stderr, /empty/);
    assertEquals(idp.stats.tokenRequests, 0);
  });

  await t.step("GitHub's variables absent: exit 3, hint id-token: write", async () => {
    await using b = await box(federatedEnv(idp));
    const r = await b.run(["auth", "token", "--env", "fed"]);
    assertEquals(r.code, 3, r.stderr);
    assertStringIncludes(r.stderr, "ACTIONS_ID_TOKEN_REQUEST_URL");
    assertStringIncludes(r.stderr, "permissions: id-token: write");
  });

  await t.step("GitHub's endpoint failing: exit 5 on 5xx, 4 on 4xx, with the status", async () => {
    await using b = await box(federatedEnv(idp), githubVars(idp));
    idp.ci.github.fail(503);
    const down = await b.run(["auth", "token", "--env", "fed"]);
    assertEquals(down.code, 5, down.stderr);
    assertStringIncludes(down.stderr, "HTTP 503");
    idp.ci.github.fail(403);
    const refused = await b.run(["auth", "token", "--env", "fed"]);
    assertEquals(refused.code, 4, refused.stderr);
    assertStringIncludes(refused.stderr, "HTTP 403");

    await using wrong = await box(federatedEnv(idp), {
      ...githubVars(idp),
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: "not-the-request-token",
    });
    const r = await wrong.run(["auth", "token", "--env", "fed"]);
    assertEquals(r.code, 4, r.stderr);
    assertStringIncludes(r.stderr, "HTTP 401");
    assertNotIncludes(r.stderr, "not-the-request-token");
  });

  await t.step("the IdP rejecting the subject token: exit 4 with error_description", async () => {
    const wrongAudience = await idp.ci.mint({ aud: "https://elsewhere.example" });
    await using b = await box(bearerEnv(idp, "CI_ID_TOKEN"), { CI_ID_TOKEN: wrongAudience });
    const r = await b.run(["auth", "token", "--env", "jb"]);
    assertEquals(r.code, 4, r.stderr);
    assertStringIncludes(r.stderr, "invalid_grant");
    assertStringIncludes(r.stderr, "the assertion was not accepted");
    assertNotIncludes(r.stderr, wrongAudience);

    await using fed = await box(
      federatedEnv(idp).replace(
        `subject_token_audience = "${idp.issuer}"`,
        'subject_token_audience = "https://elsewhere.example"',
      ),
      githubVars(idp),
    );
    const f = await fed.run(["auth", "token", "--env", "fed"]);
    assertEquals(f.code, 4, f.stderr);
    assertStringIncludes(f.stderr, "invalid_client");
    assertStringIncludes(f.stderr, "the client assertion was not accepted");
  });

  await t.step("an env from LMI_* variables only, with env show provenance", async () => {
    const subject = await idp.ci.mint({ aud: idp.issuer });
    await using b = await sandbox({
      LMI_ISSUER: idp.issuer,
      LMI_CLIENT_ID: idp.clients.workload.id,
      LMI_AUTH_TYPE: "token_exchange",
      LMI_SCOPES: "api.read",
      LMI_RESOURCE: idp.resource,
      LMI_TIMEOUT: "20s",
      LMI_SUBJECT_TOKEN_SOURCE: "env",
      LMI_SUBJECT_TOKEN_ENV: "GITLAB_ID_TOKEN",
      GITLAB_ID_TOKEN: subject,
    });
    const show = await b.run(["env", "show", "--json"]);
    assertEquals(show.code, 0, show.stderr);
    const values = JSON.parse(show.stdout).values;
    assertEquals(values.timeout, { value: "20s", source: "env var LMI_TIMEOUT" });
    assertEquals(values["auth.resource"].source, "env var LMI_RESOURCE");
    assertEquals(values["auth.client_auth"], { value: "none", source: "default" });
    assertNotIncludes(show.stdout, subject);
    const r = await b.run(["auth", "token"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(claims(r.stdout.trim()).aud, idp.resource);

    const bad = await b.run(["auth", "token"], {
      env: { ...b.env, LMI_CLIENT_AUTH: "client_secret_jwt" },
    });
    assertEquals(bad.code, 3, bad.stderr);
    assertStringIncludes(bad.stderr, "LMI_CLIENT_AUTH");
  });
});
