/**
 * `main(args, deps)` in this process for the commands that get a token: `login`, `auth token`,
 * `auth status`, `request`, `exec` and `logout`, against a fake IdP and API behind the injected
 * fetch, with a fixed clock. Exit code, stdout and stderr are all asserted.
 */
import { assertEquals, assertMatch, ownLines } from "../helpers/assert.ts";
import { failed, IDP, ok, serviceEnv, world } from "../helpers/in_process.ts";
import { ignoreUnless, POSIX_MODES, SH } from "../helpers/components.ts";
import { join } from "../../src/util/path.ts";

const CONFIG = `default_env = "dev"\n${serviceEnv("dev")}${serviceEnv("prod")}`;
const EXPIRES = "2026-01-01T01:00:00.000Z"; // the fake clock's now + the IdP's expires_in
const REJECTED = failed(
  4,
  "the IdP rejected the client with both client_secret_basic (HTTP 401 invalid_client: bad " +
    "secret) and client_secret_post (HTTP 401 invalid_client: bad secret)",
  'check the client id "svc" and the secret in SVC_SECRET; if the IdP wants another method, ' +
    "set client_auth in the env's [auth] table",
);

Deno.test("login, auth token and auth status in process", async (t) => {
  await using w = await world(CONFIG);

  await t.step("auth status --env dev before any token: exit 1", async () => {
    assertEquals(
      await w.lmi("auth", "status", "--env", "dev"),
      { code: 1, stdout: "env dev (client_credentials): no token cached\n", stderr: "" },
    );
  });
  await t.step("login: gets and caches a token, says until when on stderr", async () => {
    assertEquals(
      await w.lmi("login"),
      ok("", `Logged in to env "dev" (client_credentials), valid until ${EXPIRES}\n`),
    );
    assertEquals(w.tokenRequests, 1);
  });
  await t.step("auth token: the cached token on stdout, no new request", async () => {
    assertEquals(await w.lmi("auth", "token"), ok("at-1\n"));
    assertEquals(await w.lmi("token", "--format", "header"), ok("Authorization: Bearer at-1\n"));
    assertEquals(w.tokenRequests, 1);
  });
  await t.step(
    "--json is the json format; --min-ttl within the lifetime uses the cache",
    async () => {
      const r = await w.lmi("auth", "token", "--json", "--min-ttl", "10m");
      assertEquals([r.code, r.stderr], [0, ""]);
      assertEquals(JSON.parse(r.stdout), {
        env: "dev",
        access_token: "at-1",
        token_type: "Bearer",
        expires_at: EXPIRES,
        scope: null,
      });
    },
  );
  await t.step(
    "--min-ttl longer than what is left (a warning when even a new one is shorter), --force",
    async () => {
      assertEquals(
        await w.lmi("auth", "token", "--min-ttl", "2h"),
        ok(
          "at-2\n",
          "lmi: warning: the new token is valid for 1h00m, less than --min-ttl 2h00m " +
            "(the IdP's token lifetime is shorter)\n",
        ),
      );
      assertEquals(await w.lmi("auth", "token", "--force"), ok("at-3\n"));
    },
  );
  await t.step("auth status: each env's state on stdout, exit 0", async () => {
    assertEquals(
      await w.lmi("auth", "status"),
      ok(
        `env dev (client_credentials): valid, expires in 1h00m (${EXPIRES})\n` +
          "env prod (client_credentials): no token cached\n",
      ),
    );
    assertEquals((await w.lmi("auth", "status", "--env", "prod")).code, 1);
  });
  await t.step("the IdP refuses the client: exit 4, for login and auth token", async () => {
    w.env.SVC_SECRET = "wrong";
    assertEquals(await w.lmi("auth", "token", "--env", "prod"), REJECTED);
    assertEquals(await w.lmi("login", "--env", "prod"), REJECTED);
  });
  await t.step("a missing secret: exit 3 before any request", async () => {
    delete w.env.SVC_SECRET;
    const r = await w.lmi("auth", "token", "--env", "prod");
    assertEquals([r.code, r.stdout], [3, ""]);
    assertMatch(r.stderr, /^lmi: error: .*SVC_SECRET/);
  });
});

Deno.test("auth token --format github in process", async (t) => {
  await using w = await world(CONFIG);
  const envFile = join(w.dir, "github_env");
  const outFile = join(w.dir, "github_output");
  const folder = join(w.dir, "folder");
  await Deno.mkdir(folder);
  const github = () => w.lmi("auth", "token", "--format", "github");
  const notAFile = (variable: string) =>
    failed(
      3,
      `${variable} is not a regular file: "${folder}" is a directory`,
      `GitHub Actions sets ${variable} to a file; unset it, or point it at a regular file`,
    );

  await t.step("GITHUB_ENV a folder: exit 3 at once, nothing printed or requested", async () => {
    w.env.GITHUB_ENV = folder;
    assertEquals(await github(), notAFile("GITHUB_ENV"));
    assertEquals(w.tokenRequests, 0);
  });
  await t.step("GITHUB_OUTPUT a folder: the same, and GITHUB_ENV is not written", async () => {
    w.env.GITHUB_ENV = envFile;
    w.env.GITHUB_OUTPUT = folder;
    assertEquals(await github(), notAFile("GITHUB_OUTPUT"));
    assertEquals(w.tokenRequests, 0);
    assertEquals(await Deno.stat(envFile).catch(() => "none"), "none");
  });
  await t.step("GITHUB_ENV in a folder that does not exist: exit 3 at once", async () => {
    w.env.GITHUB_ENV = join(w.dir, "nowhere", "github_env");
    delete w.env.GITHUB_OUTPUT;
    const r = await github();
    assertEquals([r.code, r.stdout, w.tokenRequests], [3, "", 0]);
    assertMatch(r.stderr, /^lmi: error: cannot write GITHUB_ENV: .*nowhere.*\nhint: \S.*\n$/);
  });
  const MODES = "files lmi creates are 0600 (they hold the token); existing ones are appended to";
  await t.step({
    name: MODES,
    ignore: ignoreUnless(MODES, POSIX_MODES),
    fn: async () => {
      w.env.GITHUB_ENV = envFile;
      w.env.GITHUB_OUTPUT = outFile;
      assertEquals(await github(), ok("::add-mask::at-1\n"));
      assertEquals((await Deno.stat(envFile)).mode! & 0o777, 0o600);
      assertEquals((await Deno.stat(outFile)).mode! & 0o777, 0o600);
      await Deno.chmod(outFile, 0o644);
      assertEquals(await github(), ok("::add-mask::at-1\n"));
      assertEquals((await Deno.stat(outFile)).mode! & 0o777, 0o644, "an existing file: as it was");
      assertMatch(await Deno.readTextFile(outFile), /^(token<<(lmi_[0-9a-f-]+)\nat-1\n\2\n){2}$/);
    },
  });
});

Deno.test("request in process", async (t) => {
  await using w = await world(CONFIG);

  await t.step(
    "POST with -d and -H: the body to the API with the token, its answer on stdout",
    async () => {
      const r = await w.lmi("request", "/echo", "-d", "hi", "-H", "X-Trace: 42");
      assertEquals([r.code, r.stderr], [0, ""]);
      assertEquals(JSON.parse(r.stdout), {
        method: "POST",
        authorization: "Bearer at-1",
        trace: "42",
        body: "hi",
      });
    },
  );
  await t.step("-i: the status line and headers first; --json pretty-prints", async () => {
    const r = await w.lmi("request", "-X", "put", "/echo", "-i", "--json");
    assertEquals([r.code, r.stderr], [0, ""]);
    assertMatch(r.stdout, /^HTTP\/1\.1 200 \r\ncontent-type: application\/json\r\n/);
    assertMatch(r.stdout, /\r\n\r\n\{\n {2}"method": "PUT",\n/);
  });
  await t.step("non-2xx: the body on stdout, the status on stderr, exit 1", async () => {
    assertEquals(await w.lmi("request", "/missing"), {
      ...failed(1, "HTTP 404 Not Found from GET /missing: no such thing", "the body is on stdout"),
      stdout: "no such thing",
    });
    assertEquals(w.apiRequests, [
      `POST ${IDP.apiUrl}/echo`,
      `PUT ${IDP.apiUrl}/echo`,
      `GET ${IDP.apiUrl}/missing`,
    ]);
  });
});

Deno.test("exec in process", async (t) => {
  await using w = await world(CONFIG);

  const CHILD = "the child gets LMI_TOKEN, LMI_ENV, LMI_BASE_URL; its exit code is lmi's";
  await t.step({
    name: CHILD,
    ignore: ignoreUnless(CHILD, SH),
    fn: async () => {
      w.env.PATH = Deno.env.get("PATH") ?? "/usr/bin:/bin";
      const check = `[ "$LMI_TOKEN" = at-1 ] && [ "$LMI_ENV" = prod ] && ` +
        `[ "$LMI_BASE_URL" = ${IDP.apiUrl} ] && exit 7`;
      assertEquals(await w.lmi("exec", "-e", "prod", "--", "sh", "-c", check), {
        code: 7,
        stdout: "",
        stderr: "",
      });
    },
  });
  await t.step("a command that is not there: exit 2", async () => {
    assertEquals(
      await w.lmi("exec", "--", "lmi-test-no-such-command"),
      failed(2, 'command not found: "lmi-test-no-such-command"', "check the command name and PATH"),
    );
  });
});

/** What `lmi logout` says of an env whose IdP endpoint for revocation lmi does not know. */
const STAYS_VALID = (env: string) =>
  `env "${env}"'s tokens stay valid at the IdP until they expire: lmi knows no revocation ` +
  "endpoint for it (set revocation_url in the env's [auth] table if the IdP has one)\n";

Deno.test("logout in process", async (t) => {
  await using w = await world(CONFIG);

  await t.step("the selected env's token is removed, then there is none", async () => {
    await w.lmi("login");
    assertEquals(
      await w.lmi("logout"),
      ok("", `${STAYS_VALID("dev")}Removed the cached token of env "dev"\n`),
    );
    assertEquals(await w.lmi("logout"), ok("", 'No cached token for env "dev"\n'));
    assertEquals(await w.lmi("auth", "token"), ok("at-2\n"));
  });
  await t.step("--all removes every env's token", async () => {
    await w.lmi("login", "--env", "prod");
    assertEquals(
      await w.lmi("logout", "--all"),
      ok("", `${STAYS_VALID("dev")}${STAYS_VALID("prod")}Removed cached tokens of "dev", "prod"\n`),
    );
    assertEquals(await w.lmi("logout", "--all"), ok("", "No cached tokens\n"));
  });
  await t.step("an issuer whose discovery names no revocation endpoint: said too", async () => {
    await w.writeConfig(
      `default_env = "dev"\n${serviceEnv("dev")}issuer = "${IDP.ssoNoRevocationIssuer}"\n`,
    );
    await w.lmi("login");
    assertEquals(
      await w.lmi("logout"),
      ok(
        "",
        `env "dev"'s tokens stay valid at the IdP until they expire: its discovery document ` +
          "names no revocation endpoint (set revocation_url in the env's [auth] table if the " +
          'IdP has one)\nRemoved the cached token of env "dev"\n',
      ),
    );
    await w.writeConfig(CONFIG);
  });
  await t.step("at -vv it never says revoked when nothing was", async () => {
    await w.lmi("login");
    const r = await w.lmi("logout", "-vv");
    assertEquals(r.code, 0, r.stderr);
    assertEquals(/\brevoked\b/.test(ownLines(r.stderr)), false, r.stderr);
    assertMatch(r.stderr, /tokens stay valid at the IdP until they expire/);
  });
});

Deno.test("logout with revocation_url (no discovery) in process", async (t) => {
  await using w = await world(
    `default_env = "dev"\n${serviceEnv("dev")}revocation_url = "${IDP.revocationUrl}"\n`,
  );

  await t.step("the access token is revoked at revocation_url, said at -v", async () => {
    await w.lmi("login");
    assertEquals(await w.lmi("logout", "-v"), {
      code: 0,
      stdout: "",
      stderr: `lmi: revoked env "dev"'s tokens at the IdP\nRemoved the cached token of env "dev"\n`,
    });
    assertEquals(w.revoked, ["access_token"]);
  });
  await t.step("env show says where revocation_url came from", async () => {
    const shown = JSON.parse((await w.lmi("env", "show", "--json")).stdout);
    assertEquals(shown.values["auth.revocation_url"], {
      value: IDP.revocationUrl,
      source: `${w.dir}/lmi.toml`,
    });
  });
  await t.step("a plain-http revocation_url off loopback is refused (exit 3)", async () => {
    await w.writeConfig(
      `default_env = "dev"\n${serviceEnv("dev")}revocation_url = "http://idp.example/revoke"\n`,
    );
    assertEquals(
      await w.lmi("auth", "token"),
      failed(
        3,
        'refusing to send credentials over plain http to "http://idp.example/revoke" (revocation_url)',
        "use an https:// URL; plain http is allowed only for loopback addresses",
      ),
    );
  });
  await t.step("LMI_REVOCATION_URL for an env defined by variables", async () => {
    await w.writeConfig("");
    Object.assign(w.env, {
      LMI_TOKEN_URL: IDP.tokenUrl,
      LMI_CLIENT_ID: IDP.clientId,
      LMI_CLIENT_SECRET: IDP.secret,
      LMI_REVOCATION_URL: IDP.revocationUrl,
    });
    const shown = JSON.parse((await w.lmi("env", "show", "--json")).stdout);
    assertEquals(shown.values["auth.revocation_url"], {
      value: IDP.revocationUrl,
      source: "env var LMI_REVOCATION_URL",
    });
    w.revoked.length = 0;
    assertEquals((await w.lmi("login")).code, 0);
    const r = await w.lmi("logout");
    assertEquals(r, ok("", 'Removed the cached token of env "default"\n'));
    assertEquals(w.revoked, ["access_token"]);
  });
});
