/**
 * `main(args, deps)` in this process for what needs no token: help and version, usage errors,
 * completions, `env list` / `env show`, and the SSO commands' option and config errors and
 * `logout sso`. Exit code, stdout and stderr are all asserted; the help snapshots recorded from
 * a subprocess (tests/e2e/help_test.ts) must come out the same in process.
 */
import { join } from "../../src/util/path.ts";
import { assertEquals, assertMatch, ownLines } from "../helpers/assert.ts";
import { failed, IDP, ok, serviceEnv, storeSession, world } from "../helpers/in_process.ts";
import { SNAPSHOT_CASES, snapshotPath, snapshotText } from "../helpers/snapshots.ts";
import { fakeDeps } from "../helpers/fakes.ts";
import { VERSION } from "../../src/version.ts";
import { dataDir } from "../../src/config/paths.ts";
import { fileStore } from "../../src/sso/store.ts";
import { saveSession, SESSION_VERSION } from "../../src/sso/session.ts";

const CONFIG = `default_env = "dev"\n${serviceEnv("dev")}${serviceEnv("prod")}`;

async function snapshot(name: string): Promise<string> {
  return await Deno.readTextFile(snapshotPath(name));
}

Deno.test("help, version and usage errors in process", async (t) => {
  await using w = await world(CONFIG);

  await t.step(
    "--version: the version, Deno, the target, and (deno run) with no commit",
    async () => {
      const { deno } = Deno.version;
      const { target } = Deno.build;
      assertEquals(
        await w.lmi("--version"),
        ok(`lmi ${VERSION} (deno run)\ndeno ${deno}\ntarget ${target}\n`),
      );
      const json = { version: VERSION, deno, target, commit: null, compiled: false };
      assertEquals(await w.lmi("--version", "--json"), ok(JSON.stringify(json) + "\n"));
    },
  );
  for (const [name, args] of SNAPSHOT_CASES) {
    await t.step(`${args.join(" ")}: as the subprocess snapshot ${name}.txt`, async () => {
      assertEquals(snapshotText(await w.lmi(...args)), await snapshot(name));
    });
  }
  await t.step("no arguments: the overview", async () => {
    assertEquals(snapshotText(await w.lmi()), await snapshot("help"));
  });
  await t.step("an unknown command: exit 2 and a suggestion", async () => {
    assertEquals(
      await w.lmi("lgin"),
      failed(
        2,
        'unknown command "lgin" (no lmi-lgin on PATH)',
        'did you mean "lmi login"? (run "lmi --help" for all commands)',
      ),
    );
    assertEquals(
      await w.lmi("Bad!"),
      failed(2, 'unknown command "Bad!"', 'run "lmi --help" for all commands'),
    );
  });
});

const BAD_DURATION = 'write a duration like "90s", "5m", "1h" or a number of seconds';

/** Usage errors, checked before any config, token or request: [args, message, hint]. */
const USAGE_ERRORS: Array<[string[], string, string]> = [
  [["request", "/echo", "-H"], 'flag "--header" needs a value', 'run "lmi request --help"'],
  [["env", "list", "extra"], 'unexpected argument "extra"', "usage: lmi env list [--json]"],
  [
    ["auth", "token", "--format", "xml"],
    'unknown format "xml"',
    "valid formats: raw, header, json, env, exec-credential, github",
  ],
  [["auth", "token", "--min-ttl", "soon"], '--min-ttl: invalid duration "soon"', BAD_DURATION],
  [["exec", "--min-ttl", "x", "--", "true"], '--min-ttl: invalid duration "x"', BAD_DURATION],
  [
    ["request", "-X", "FETCH", "/echo"],
    'unknown method "FETCH"',
    "use one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
  ],
  [["request", "/echo", "-H", "no colon"], 'malformed header "no colon"', 'write -H "Name: value"'],
  [
    ["logout", "--all", "--env", "dev"],
    "--all and --env cannot be used together",
    "lmi logout --env NAME, or lmi logout --all",
  ],
  [
    ["login", "sso", "--port", "70000"],
    '--port: invalid port "70000"',
    "a number from 0 to 65535 (0: any free port)",
  ],
  [["login", "sso", "--timeout", "0"], '--timeout: invalid duration "0"', BAD_DURATION],
  [["completions", "tcsh"], 'unknown shell "tcsh"', "use one of bash, zsh, fish, powershell"],
];

Deno.test("each command's usage errors in process: exit 2, nothing done", async (t) => {
  await using w = await world(CONFIG);
  for (const [args, message, hint] of USAGE_ERRORS) {
    await t.step(args.join(" "), async () => {
      assertEquals(await w.lmi(...args), failed(2, message, hint));
    });
  }
  assertEquals([w.tokenRequests, w.apiRequests], [0, []]);
});

Deno.test("completions in process", async (t) => {
  await using w = await world(CONFIG);
  await t.step("bash, zsh and fish scripts on stdout", async () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const r = await w.lmi("completions", shell);
      assertEquals([r.code, r.stderr], [0, ""]);
      assertMatch(r.stdout, new RegExp(`^(#compdef lmi\\n)?# lmi completion for ${shell}`));
      assertMatch(r.stdout, /exec.*min-ttl/);
    }
  });
});

Deno.test("env list and env show in process", async (t) => {
  await using w = await world(CONFIG);
  const config = join(w.dir, "lmi.toml");

  await t.step("env list: a table with the selected env starred", async () => {
    assertEquals(
      await w.lmi("env", "list"),
      ok(
        "   NAME  AUTH                BASE URL             TOKEN\n" +
          "*  dev   client_credentials  https://api.example  no token cached\n" +
          "   prod  client_credentials  https://api.example  no token cached\n",
      ),
    );
  });
  await t.step("env list --json, --env picks the selected one", async () => {
    const r = await w.lmi("env", "list", "--json", "--env", "prod");
    assertEquals([r.code, r.stderr], [0, ""]);
    const doc = JSON.parse(r.stdout);
    assertEquals(doc.config, config);
    assertEquals(
      doc.envs.map((e: { name: string; selected: boolean }) => [e.name, e.selected]),
      [["dev", false], ["prod", true]],
    );
  });
  await t.step("env list: a config that does not parse is exit 3", async () => {
    await using broken = await world("[envs.dev\n");
    assertEquals(
      await broken.lmi("env", "list"),
      failed(
        3,
        `${join(broken.dir, "lmi.toml")}:1:10: invalid TOML: illegal character in key`,
        "fix the syntax at that line (TOML reference: https://toml.io)",
      ),
    );
  });
  await t.step("env show NAME: each value and where it came from", async () => {
    const r = await w.lmi("env", "show", "prod");
    assertEquals([r.code, r.stderr], [0, ""]);
    const lines = r.stdout.replaceAll(config, "FILE").split("\n");
    assertEquals(lines[0], `config: FILE (below ${w.dir}, in LMI_TRUSTED_PATHS)`);
    assertEquals(lines[1], "name                      prod                       argument");
    assertEquals(lines[3], "requires_sso              false                      default");
    assertEquals(
      lines.at(-2),
      "auth.client_secret        set (SVC_SECRET)           env var SVC_SECRET",
    );
  });
  await t.step("env show --json, the default env when no NAME", async () => {
    const r = await w.lmi("env", "show", "--json");
    assertEquals([r.code, r.stderr], [0, ""]);
    const doc = JSON.parse(r.stdout);
    assertEquals(doc.name, "dev");
    assertEquals(doc.values["auth.token_url"], { value: IDP.tokenUrl, source: config });
  });
  await t.step("env show: an unknown env is exit 3 with a suggestion", async () => {
    const r = await w.lmi("env", "show", "dve");
    assertEquals([r.code, r.stdout], [3, ""]);
    assertMatch(r.stderr, /^lmi: error: unknown env "dve"\nhint: did you mean "dev"\?/);
  });
});

Deno.test("login sso and logout sso in process (no browser)", async (t) => {
  await using w = await world(CONFIG);
  const noSso = failed(
    3,
    `no [sso] table in ${join(w.dir, "lmi.toml")}`,
    "add [sso] with issuer and client_id to lmi.toml (see docs/sso.md)",
  );

  await t.step("login sso and logout sso without [sso]: exit 3", async () => {
    assertEquals(await w.lmi("login", "sso", "--device", "--timeout", "1m"), noSso);
    assertEquals(await w.lmi("logout", "sso"), noSso);
  });

  await w.writeConfig(`${CONFIG}\n[sso]\nissuer = "${IDP.ssoIssuer}"\nclient_id = "lmi"\n`);
  await t.step("logout sso when not signed in: says so, exit 0", async () => {
    assertEquals(await w.lmi("logout", "sso"), ok("", `Not signed in to ${IDP.ssoIssuer}\n`));
  });
  await t.step("logout sso: revokes both tokens at the IdP and deletes the session", async () => {
    await storeSession(w.env, { user: { sub: "alice" } });
    assertEquals(await w.lmi("logout", "sso"), ok("", `Signed out of ${IDP.ssoIssuer}\n`));
    assertEquals(w.revoked, ["refresh_token", "access_token"]);
    assertEquals(await w.lmi("logout", "sso"), ok("", `Not signed in to ${IDP.ssoIssuer}\n`));
  });
  const session = (issuer: string, tokens: { access_token: string; refresh_token?: string }) =>
    saveSession(fileStore(dataDir(fakeDeps({ env: w.env }))!), {
      version: SESSION_VERSION,
      issuer,
      client_id: "lmi",
      token_type: "Bearer",
      expires_at: "2026-01-01T01:00:00.000Z",
      user: { sub: "alice" },
      obtained_at: "2026-01-01T00:00:00.000Z",
      ...tokens,
    });
  await t.step(
    "logout sso: an access token the IdP cannot revoke is said to stay valid, never revoked",
    async () => {
      w.revoked.length = 0;
      await session(IDP.ssoIssuer, { access_token: "eyJ.not-revocable.jwt" });
      const r = await w.lmi("logout", "sso", "-vv");
      assertEquals(r.code, 0, r.stderr);
      assertEquals(/\brevoked\b/.test(ownLines(r.stderr)), false, r.stderr);
      assertEquals(w.revoked, []);
      await session(IDP.ssoIssuer, { access_token: "eyJ.not-revocable.jwt" });
      assertEquals(
        await w.lmi("logout", "sso"),
        ok(
          "",
          "the session's access token stays valid at the IdP until it expires: the IdP cannot " +
            `revoke it\nSigned out of ${IDP.ssoIssuer}\n`,
        ),
      );
      await session(IDP.ssoIssuer, { access_token: "eyJ.not-revocable.jwt", refresh_token: "rt" });
      const both = await w.lmi("logout", "sso", "-v");
      assertMatch(both.stderr, /lmi: revoked the session's refresh token at the IdP\n/);
      assertMatch(
        both.stderr,
        /the session's access token stays valid at the IdP until it expires/,
      );
      assertEquals(w.revoked, ["refresh_token"]);
    },
  );
  await t.step("logout sso at an IdP without revocation: said at normal verbosity", async () => {
    await w.writeConfig(
      `${CONFIG}\n[sso]\nissuer = "${IDP.ssoNoRevocationIssuer}"\nclient_id = "lmi"\n`,
    );
    await session(IDP.ssoNoRevocationIssuer, { access_token: "sso-at", refresh_token: "sso-rt" });
    assertEquals(
      await w.lmi("logout", "sso"),
      ok(
        "",
        "the session's tokens stay valid at the IdP until they expire: it offers no revocation " +
          `endpoint\nSigned out of ${IDP.ssoNoRevocationIssuer}\n`,
      ),
    );
  });
});
