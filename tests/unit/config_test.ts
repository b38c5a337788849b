import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertThrows,
} from "../helpers/assert.ts";
import { join } from "node:path";
import { formatDuration, parseDuration } from "../../src/config/duration.ts";
import { loadConfig, parseConfigText } from "../../src/config/load.ts";
import { resolveEnv } from "../../src/config/resolve.ts";
import { isFileConfig } from "../../src/config/schema.ts";
import { formatSource } from "../../src/config/dotenv.ts";
import { ConfigError, UsageError } from "../../src/errors.ts";
import { fakeDeps } from "../helpers/fakes.ts";

Deno.test("durations", async (t) => {
  await t.step("units, combinations and plain seconds", () => {
    assertEquals(parseDuration("90s"), 90_000);
    assertEquals(parseDuration("5m"), 300_000);
    assertEquals(parseDuration("1h"), 3_600_000);
    assertEquals(parseDuration("1h30m"), 5_400_000);
    assertEquals(parseDuration(45), 45_000);
    assertEquals(parseDuration("45"), 45_000);
  });
  await t.step("rejects what is not a duration", () => {
    for (const bad of ["", "5x", "m5", "-1s", "1h 30m", true, null, -3]) {
      assertEquals(parseDuration(bad), undefined, String(bad));
    }
  });
  await t.step("formats for people", () => {
    assertEquals(formatDuration(45_000), "45s");
    assertEquals(formatDuration(125_000), "2m05s");
    assertEquals(formatDuration(3_900_000), "1h05m");
  });
});

async function configError(toml: string): Promise<ConfigError> {
  return await assertRejects(() => parseConfigText(toml, "/cfg/lmi.toml"), ConfigError);
}

Deno.test("config validation names the file, key, line and what is valid", async (t) => {
  await t.step("invalid enum value", async () => {
    const err = await configError('[envs.dev.auth]\ntype = "magic"\n');
    assertEquals(err.message, '/cfg/lmi.toml:2: envs.dev.auth.type: invalid value "magic"');
    assertMatch(err.hint!, /"client_credentials", "password", "sso", "command", "none"/);
    assertEquals(err.exitCode, 3);
  });
  await t.step("TOML syntax error carries line and column", async () => {
    const err = await configError('[envs.dev]\nbase_url = "x\n');
    assertMatch(err.message, /^\/cfg\/lmi\.toml:2:\d+: invalid TOML/);
  });
  await t.step("unknown key with a suggestion", async () => {
    const err = await configError('[envs.dev]\nbase_ur = "https://x"\n');
    assertMatch(err.message, /lmi\.toml:2: envs\.dev\.base_ur: unknown key/);
    assertMatch(err.hint!, /did you mean "base_url"/);
  });
  await t.step("a typo with a near match gets the match alone, not all 28 keys", async () => {
    const err = await configError('[envs.dev.auth]\nclient_secert_env = "X"\n');
    assertEquals(err.message, "/cfg/lmi.toml:2: envs.dev.auth.client_secert_env: unknown key");
    assertEquals(err.hint, 'did you mean "client_secret_env"?');
  });
  await t.step("an unknown key without a near match: every valid key", async () => {
    const err = await configError('[envs.dev.auth]\nwhatever = "X"\n');
    assertMatch(err.hint!, /^valid keys: type, issuer, token_url, .*, mtls_api$/);
  });
  await t.step("a literal secret is refused with a *_env hint", async () => {
    const err = await configError('[envs.dev.auth]\nclient_secret = "hunter2"\n');
    assertMatch(
      err.message,
      /envs\.dev\.auth\.client_secret: secrets never live in the config file/,
    );
    assertMatch(err.hint!, /client_secret_env/);
    assert(!err.message.includes("hunter2") && !err.hint!.includes("hunter2"));
  });
  await t.step("bad duration, bad env name, bad URL, out of range", async () => {
    assertMatch(
      (await configError('[envs.dev]\ntimeout = "soon"\n')).message,
      /envs\.dev\.timeout: invalid duration/,
    );
    assertMatch((await configError("[envs.Dev]\n")).message, /invalid env name "Dev"/);
    assertMatch(
      (await configError('[envs.dev]\nbase_url = "ftp://x"\n')).message,
      /unsupported URL scheme/,
    );
    assertMatch(
      (await configError("[envs.dev]\nretries = 99\n")).message,
      /envs\.dev\.retries: out of range/,
    );
    assertMatch(
      (await configError('[envs.dev]\nauth = { type = "password", scopes = "a b" }\n')).message,
      /lmi\.toml:2: envs\.dev\.auth\.scopes: expected a list of strings/,
    );
  });
  await t.step('[sso] prompt: any string, "" too; revocation_url: an http(s) URL', async () => {
    const sso = (prompt: string) =>
      parseConfigText(
        `[sso]\nissuer = "https://idp"\nclient_id = "lmi"\nprompt = ${prompt}\n`,
        "/c",
      );
    assertEquals((await sso('""')).sso?.default?.prompt, "");
    assertEquals((await sso('"login consent"')).sso?.default?.prompt, "login consent");
    assertMatch(
      (await configError("[sso]\nprompt = true\n")).message,
      /lmi\.toml:2: sso\.prompt: expected a string, got boolean true/,
    );
    assertMatch(
      (await configError('[envs.dev.auth]\nrevocation_url = "ftp://idp/revoke"\n')).message,
      /lmi\.toml:2: envs\.dev\.auth\.revocation_url: unsupported URL scheme/,
    );
    const cfg = await parseConfigText(
      '[envs.dev.auth]\ntoken_url = "https://idp/token"\nrevocation_url = "https://idp/revoke"\n',
      "/c",
    );
    assertEquals(cfg.envs.dev?.auth?.revocation_url, "https://idp/revoke");
    // What the parsed-config cache reads back is checked with the same rules.
    assert(isFileConfig({ envs: {}, sso: { default: { prompt: "" } } }), "prompt may be empty");
    assert(!isFileConfig({ envs: {}, sso: { default: { prompt: 1 } } }), "prompt is a string");
    assert(isFileConfig({ envs: { dev: { auth: { revocation_url: "https://idp/r" } } } }));
  });
  await t.step("a valid file parses with typed values", async () => {
    const cfg = await parseConfigText(
      'default_env = "dev"\n[envs.dev]\ntimeout = "5s"\nheaders = { "X-Tenant" = "acme" }\n' +
        '[envs.dev.auth]\ntype = "password"\nscopes = ["a", "b"]\nrefresh_margin = 30\n',
      "/cfg/lmi.toml",
    );
    assertEquals(cfg.default_env, "dev");
    assertEquals(cfg.envs.dev?.timeout, 5000);
    assertEquals(cfg.envs.dev?.headers, { "X-Tenant": "acme" });
    assertEquals(cfg.envs.dev?.auth?.refresh_margin, 30_000);
  });
});

Deno.test("config lookup and env resolution", async (t) => {
  const root = await Deno.realPath(await Deno.makeTempDir());
  const project = join(root, "project");
  const sub = join(project, "a", "b");
  await Deno.mkdir(sub, { recursive: true });
  await Deno.writeTextFile(
    join(project, "lmi.toml"),
    'default_env = "dev"\n[envs.dev.auth]\ntype = "password"\ntoken_url = "https://idp/token"\nclient_id = "c"\n' +
      '[envs.prod.auth]\ntype = "client_credentials"\nissuer = "https://idp"\nclient_id = "p"\nclient_secret_env = "PROD_SECRET"\n',
  );
  await Deno.writeTextFile(
    join(project, ".env"),
    "LMI_DEV_CLIENT_SECRET=from-dotenv\nLMI_DEV_USERNAME=u-dotenv\n",
  );
  await Deno.writeTextFile(join(project, ".env.dev"), "LMI_DEV_USERNAME=u-dotenv-dev\n");

  await t.step("the nearest lmi.toml from the current directory up", async () => {
    const deps = fakeDeps({ cwd: sub, env: { HOME: root, LMI_TRUSTED_PATHS: project } });
    const loaded = await loadConfig(deps, undefined);
    assertEquals(loaded.path, join(project, "lmi.toml"));
    assertEquals(loaded.origin, "nearest lmi.toml");
  });
  await t.step("--config beats LMI_CONFIG beats the nearest file", async () => {
    const other = join(root, "other.toml");
    await Deno.writeTextFile(other, "[envs.x]\n");
    const deps = fakeDeps({ cwd: sub, env: { LMI_CONFIG: other } });
    assertEquals((await loadConfig(deps, undefined)).path, other);
    assertEquals((await loadConfig(deps, join(project, "lmi.toml"))).origin, "flag");
    await assertRejects(
      () => loadConfig(deps, join(root, "missing.toml")),
      ConfigError,
      "config file not found",
    );
  });
  await t.step("the user config when no lmi.toml is found", async () => {
    const xdg = join(root, "xdg");
    await Deno.mkdir(join(xdg, "lmi"), { recursive: true });
    await Deno.writeTextFile(join(xdg, "lmi", "config.toml"), "[envs.u]\n");
    // %APPDATA%\lmi\config.toml on Windows, $XDG_CONFIG_HOME/lmi/config.toml elsewhere
    const variable = Deno.build.os === "windows" ? "APPDATA" : "XDG_CONFIG_HOME";
    const deps = fakeDeps({ cwd: root, env: { [variable]: xdg } });
    assertEquals((await loadConfig(deps, undefined)).origin, "user config");
  });
  await t.step("secrets: process env, then .env.<env>, then .env; provenance of each", async () => {
    const deps = fakeDeps({
      cwd: sub,
      env: { LMI_DEV_PASSWORD: "pw-process", LMI_TRUSTED_PATHS: project },
    });
    const env = resolveEnv(deps, await loadConfig(deps, undefined), undefined);
    assertEquals(env.name, "dev");
    assertEquals(formatSource(env.sources.name!), `${join(project, "lmi.toml")} (default_env)`);
    assertEquals(env.auth.clientSecret?.value, "from-dotenv");
    assertEquals(env.auth.username?.value, "u-dotenv-dev");
    assertEquals(env.auth.password?.value, "pw-process");
    assertEquals(formatSource(env.auth.password!.source!), "env var LMI_DEV_PASSWORD");
    assertEquals(
      formatSource(env.auth.username!.source!),
      `LMI_DEV_USERNAME in ${join(project, ".env.dev")}`,
    );
  });
  await t.step("--env beats LMI_ENV beats default_env; *_env names a variable", async () => {
    const deps = fakeDeps({
      cwd: sub,
      env: { LMI_ENV: "dev", PROD_SECRET: "s", LMI_TRUSTED_PATHS: project },
    });
    const loaded = await loadConfig(deps, undefined);
    const prod = resolveEnv(deps, loaded, "prod");
    assertEquals(prod.name, "prod");
    assertEquals(prod.auth.clientSecret, {
      variable: "PROD_SECRET",
      value: "s",
      source: { kind: "env", detail: "PROD_SECRET" },
    });
    assertEquals((resolveEnv(deps, loaded, undefined)).sources.name, {
      kind: "env",
      detail: "LMI_ENV",
    });
  });
  await t.step("unknown env and bad env names", async () => {
    const deps = fakeDeps({ cwd: sub, env: { LMI_TRUSTED_PATHS: project } });
    const loaded = await loadConfig(deps, undefined);
    const err = assertThrows(() => resolveEnv(deps, loaded, "prd"), ConfigError);
    assertMatch(err.hint!, /did you mean "prod"/);
    assertThrows(() => resolveEnv(deps, loaded, "../etc"), UsageError, "invalid env name");
  });
  await t.step("an env from LMI_* variables alone", async () => {
    const deps = fakeDeps({
      cwd: root,
      env: {
        LMI_TOKEN_URL: "https://idp/token",
        LMI_CLIENT_ID: "ci",
        LMI_CLIENT_SECRET: "sec",
        LMI_SCOPES: "a  b",
        LMI_BASE_URL: "https://api",
      },
    });
    const env = resolveEnv(deps, await loadConfig(deps, undefined), undefined);
    assertEquals(env.name, "default");
    assertEquals(env.definedBy, "environment");
    assertEquals(env.auth.type, "client_credentials");
    assertEquals(env.auth.scopes, ["a", "b"]);
    assertEquals(env.auth.clientSecret?.value, "sec");
    assertEquals(env.sources["auth.client_id"], { kind: "env", detail: "LMI_CLIENT_ID" });
    const bad = fakeDeps({ cwd: root, env: { LMI_CLIENT_ID: "x", LMI_AUTH_TYPE: "magic" } });
    assertThrows(
      () => resolveEnv(bad, { dotenvDirs: [], file: { envs: {} } }, undefined),
      ConfigError,
      "LMI_AUTH_TYPE",
    );
  });
  await Deno.remove(root, { recursive: true });
});
