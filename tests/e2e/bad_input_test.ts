/**
 * Every bad input and fault of the service-token issue: the documented exit code, a one-line
 * error with a hint, no stack trace below -vv, and nothing lost.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertNotIncludes } from "../helpers/assert.ts";
import { type RunResult, type Sandbox, sandbox } from "../helpers/cli.ts";
import { devSandbox, passwordEnv, serviceEnv } from "../helpers/dev_world.ts";
import { type DevIdp, startDevIdp } from "../../scripts/dev_idp/mod.ts";

function config(idp: DevIdp, extra = ""): string {
  return `default_env = "dev"\n` + serviceEnv(idp, "dev", { env: 'timeout = "2s"', auth: extra }) +
    passwordEnv(idp, "pw");
}

/** An error the user can act on: one `lmi: error:` line, one `hint:` line, no stack trace. */
function assertCleanError(r: RunResult, code: number, message: RegExp) {
  assertEquals(r.code, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split("\n").filter((l) => !l.startsWith("lmi: waiting"));
  assertEquals(lines.length, 2, `two lines expected: ${r.stderr}`);
  assertMatch(lines[0]!, /^lmi: error: /);
  assertMatch(lines[0]!, message);
  assertMatch(lines[1]!, /^hint: \S/);
  assert(!/\n\s+at /.test(r.stderr), "no stack trace");
}

function world(idp: DevIdp, extra = ""): Promise<Sandbox> {
  return devSandbox(idp, config(idp, extra));
}

function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("bad input and faults give the documented exit code and a clear message", async (t) => {
  await using idp = await startDevIdp();
  await using box = await world(idp);

  await t.step("wrong client secret: 4, with the IdP's error", async () => {
    const r = await box.run(["auth", "token"], { env: { SVC_SECRET: "wrong-secret-value" } });
    assertCleanError(r, 4, /HTTP 401 invalid_client/);
    assertMatch(r.stderr, /hint: check the client id .* secret in SVC_SECRET/);
  });
  await t.step("wrong user password: 4, with error_description", async () => {
    const r = await box.run(["auth", "token", "-e", "pw"], {
      env: { PW_PASS: "not-her-password" },
    });
    assertCleanError(r, 4, /HTTP 400 invalid_grant: invalid username or password/);
  });
  await t.step("missing secret variable: 3, naming it", async () => {
    const r = await box.run(["auth", "token"], { env: { SVC_SECRET: "" } });
    assertCleanError(r, 3, /SVC_SECRET is not set/);
    const pw = await box.run(["login", "-e", "pw"], { env: { PW_PASS: "" } });
    assertCleanError(pw, 3, /password variable PW_PASS/);
  });
  await t.step("unknown env: 3", async () => {
    assertCleanError(await box.run(["auth", "token", "-e", "staging"]), 3, /unknown env "staging"/);
  });
  await t.step("unknown flag: 2", async () => {
    assertCleanError(
      await box.run(["auth", "token", "--frmat", "json"]),
      2,
      /unknown flag "--frmat"/,
    );
    assertCleanError(
      await box.run(["auth", "token", "--format", "yaml"]),
      2,
      /unknown format "yaml"/,
    );
    assertCleanError(
      await box.run(["auth", "token", "--min-ttl", "soon"]),
      2,
      /--min-ttl: invalid duration/,
    );
  });
  await t.step("invalid config value: 3, with file, key, line and valid values", async () => {
    await using bad = await sandbox();
    const path = await bad.writeConfig('[envs.dev.auth]\nclient_id = "x"\nclient_auth = "mtls"\n');
    const r = await bad.run(["auth", "token", "-e", "dev"]);
    const file = path.replace(/[.\\]/g, "\\$&"); // Windows paths have backslashes
    assertCleanError(
      r,
      3,
      new RegExp(`${file}:3: envs\\.dev\\.auth\\.client_auth: invalid value "mtls"`),
    );
    assertMatch(r.stderr, /hint: valid values: "client_secret_basic", "client_secret_post"/);
  });
  await t.step("IdP unreachable: 5", async () => {
    const port = closedPort();
    await using dead = await world(idp);
    await dead.writeConfig(config(idp).replace(idp.issuer, `http://127.0.0.1:${port}`));
    assertCleanError(
      await dead.run(["auth", "token"]),
      5,
      /cannot reach http:\/\/127\.0\.0\.1:\d+/,
    );
  });
  await t.step("IdP timing out: 5, naming the timeout", async () => {
    idp.faults.token({ delayMs: 4000, status: 200, times: 1 });
    const r = await box.run(["auth", "token", "--force"]);
    idp.faults.token(null);
    assertCleanError(r, 5, /timed out/);
  });
  await t.step("IdP answering 500: 4, with the status and a redacted snippet", async () => {
    idp.faults.token({
      status: 500,
      body: `<h1>Internal error</h1> client_secret=${idp.clients.basic.secret}`,
      contentType: "text/html",
    });
    const r = await box.run(["auth", "token", "--force"]);
    assertCleanError(r, 4, /HTTP 500 .*Internal error/);
    assertNotIncludes(r.stderr, idp.clients.basic.secret);
  });
  await t.step("malformed JSON: 4", async () => {
    idp.faults.token({
      status: 200,
      body: '{"access_token": "abc',
      contentType: "application/json",
    });
    assertCleanError(await box.run(["auth", "token", "--force"]), 4, /HTTP 200/);
  });
  await t.step("a response without access_token: 4", async () => {
    idp.faults.token({
      status: 200,
      body: '{"token_type":"Bearer","expires_in":60}',
      contentType: "application/json",
    });
    assertCleanError(await box.run(["auth", "token", "--force"]), 4, /access_token/);
  });
  await t.step("after all that, nothing was lost: the good token is still cached", async () => {
    const first = await box.run(["auth", "token"]);
    assertEquals(first.code, 0, first.stderr);
    idp.faults.token({ status: 500, times: Infinity });
    const cached = await box.run(["auth", "token"]);
    idp.faults.token(null);
    assertEquals(cached.stdout, first.stdout);
  });
  await t.step("-vv shows the cause chain; below -vv there is none", async () => {
    const r = await box.run(["auth", "token", "-vv", "-e", "staging"]);
    assertEquals(r.code, 3);
    assertMatch(r.stderr, /ConfigError/);
  });
  await t.step("plain http to a non-loopback IdP is refused: 3", async () => {
    await using insecure = await sandbox({
      LMI_TOKEN_URL: "http://idp.example.com/token",
      LMI_CLIENT_ID: "x",
      LMI_CLIENT_SECRET: "y-secret",
    });
    assertCleanError(
      await insecure.run(["auth", "token"]),
      3,
      /refusing to send credentials over plain http/,
    );
  });
  await t.step("the token cache directory and files are where the README says", async () => {
    const st = await box.run(["auth", "status", "--json"]);
    assertEquals(
      JSON.parse(st.stdout).envs[0].token.cache_file,
      join(box.cacheDir, "lmi", "tokens", "dev.json"),
    );
  });
});
