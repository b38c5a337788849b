/**
 * `lmi init` in process against a fake IdP: flags only and questions at a terminal, what the IdP
 * offers (grants, client authentication, RFC 8414's defaults), writing a new lmi.toml and
 * appending to one byte for byte, trust (recorded as written; a file not trusted is never
 * extended), and every refusal with its exit code.
 */
import { join } from "../../src/util/path.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotIncludes,
  assertStringIncludes,
} from "../helpers/assert.ts";
import { IDP, type World, world } from "../helpers/in_process.ts";
import { exists } from "../helpers/files.ts";
import { parseConfigText } from "../../src/config/load.ts";
import { sha256Hex } from "../../src/util/sha256.ts";
import { userConfigPath } from "../../src/config/paths.ts";
import {
  clientAuthFor,
  grantOffer,
  offeredTypes,
  TOKEN_EXCHANGE,
} from "../../src/cli/init_offers.ts";
import { appendTo, tomlString } from "../../src/cli/init_toml.ts";

const ISSUER = "https://idp.init.example/realms/corp";

const ALL_GRANTS = [
  "authorization_code",
  "refresh_token",
  "client_credentials",
  "password",
  "urn:ietf:params:oauth:grant-type:device_code",
  TOKEN_EXCHANGE,
  "urn:ietf:params:oauth:grant-type:jwt-bearer",
];

/** A discovery document offering everything, at `issuer`; `doc` replaces or adds fields. */
function document(issuer: string, doc: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/auth`,
    token_endpoint: IDP.tokenUrl,
    device_authorization_endpoint: `${issuer}/device`,
    grant_types_supported: ALL_GRANTS,
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    ...doc,
  };
}

/** Serve `doc` as the OIDC discovery document of `issuer` (or, `oauth2`, its RFC 8414 one). */
function serve(w: World, issuer: string, doc: Record<string, unknown>, at = "oidc"): void {
  const url = new URL(issuer);
  const path = url.pathname === "/" ? "" : url.pathname;
  w.answers.set(
    at === "oidc"
      ? `${issuer}/.well-known/openid-configuration`
      : `${url.origin}/.well-known/oauth-authorization-server${path}`,
    () => Response.json(doc),
  );
}

/** A world with no lmi.toml, nothing trusted but what lmi records, and the fake IdP at ISSUER. */
async function fresh(): Promise<World & { config: string; trustFile: string }> {
  const w = await world("");
  await Deno.remove(join(w.dir, "lmi.toml"));
  w.env.LMI_TRUSTED_PATHS = "";
  serve(w, ISSUER, document(ISSUER));
  return Object.assign(w, {
    config: join(w.dir, "lmi.toml"),
    trustFile: Deno.build.os === "windows"
      ? join(w.dir, "home", "AppData", "Roaming", "lmi", "trust.json")
      : join(w.dir, "home", ".local", "share", "lmi", "trust.json"),
  });
}

async function trustRecords(w: { trustFile: string }): Promise<Array<Record<string, string>>> {
  if (!await exists(w.trustFile)) return [];
  return JSON.parse(await Deno.readTextFile(w.trustFile)).files;
}

const FLAGS = ["--issuer", ISSUER, "--client-id", IDP.clientId];

Deno.test("lmi init with flags writes a config lmi uses at once, recorded as trusted", async (t) => {
  await using w = await fresh();

  await t.step("client_credentials: the file, the record, the next steps", async () => {
    const r = await w.lmi("init", ...FLAGS, "--type", "client_credentials");
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "");
    const text = await Deno.readTextFile(w.config);
    const file = await parseConfigText(text, w.config);
    assertEquals(file.default_env, "dev");
    assertEquals(file.envs.dev?.auth, {
      type: "client_credentials",
      issuer: ISSUER,
      client_id: IDP.clientId,
      client_secret_env: "LMI_DEV_CLIENT_SECRET",
    });
    assertNotIncludes(text, IDP.secret);
    assertMatch(text, /^client_secret_env = "LMI_DEV_CLIENT_SECRET" +# /m);
    const records = await trustRecords(w);
    assertEquals(records.map((x) => [x.path, x.sha256]), [
      [w.config, sha256Hex(new TextEncoder().encode(text))],
    ]);
    assertStringIncludes(
      r.stderr,
      `Wrote env "dev" (client_credentials at ${ISSUER}, client "svc") in ${w.config}.\n` +
        "lmi trusts the file as written",
    );
    assertMatch(r.stderr, /\n {2}export LMI_DEV_CLIENT_SECRET=… +# the client secret\n/);
    assertMatch(r.stderr, /\n {2}lmi login --env dev +# checks it all\n$/);
    if (Deno.build.os !== "windows") {
      assertEquals((await Deno.stat(w.config)).mode! & 0o022, 0, "not writable by others");
    }
  });

  await t.step("then lmi login and auth token work with the secret set, no lmi trust", async () => {
    assertEquals((await w.lmi("login", "--env", "dev")).code, 3, "the secret is missing");
    w.env.LMI_DEV_CLIENT_SECRET = IDP.secret;
    const login = await w.lmi("login", "--env", "dev");
    assertEquals(login.code, 0, login.stderr);
    const token = await w.lmi("auth", "token");
    assertEquals([token.code, token.stdout], [0, "at-1\n"], token.stderr);
  });

  await t.step("a second env is appended; the file above it kept byte for byte", async () => {
    const before = await Deno.readTextFile(w.config);
    const r = await w.lmi("init", ...FLAGS, "--type", "password", "--env", "batch");
    assertEquals(r.code, 0, r.stderr);
    const after = await Deno.readTextFile(w.config);
    assert(after.startsWith(before), "the old text is the new one's start");
    const file = await parseConfigText(after, w.config);
    assertEquals(file.envs.batch?.auth?.username_env, "LMI_BATCH_USERNAME");
    assertEquals(file.envs.batch?.auth?.password_env, "LMI_BATCH_PASSWORD");
    assertEquals(file.default_env, "dev", "not changed");
    assertStringIncludes(r.stderr, `Added env "batch" (password at ${ISSUER}`);
    assertStringIncludes(r.stderr, "export LMI_BATCH_USERNAME=…");
    const records = await trustRecords(w);
    assertEquals(records.length, 1, "one record, replaced");
    assertEquals(records[0]!.sha256, sha256Hex(new TextEncoder().encode(after)));
    assertEquals((await w.lmi("env", "show", "batch")).code, 0);
  });

  await t.step("an env that exists: exit 1, the file untouched", async () => {
    const before = await Deno.readTextFile(w.config);
    const r = await w.lmi("init", ...FLAGS, "--type", "client_credentials", "--env", "dev");
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, `lmi: error: env "dev" is already in ${w.config}\n`);
    assertStringIncludes(r.stderr, "hint: pick another name with --env NAME");
    assertEquals(await Deno.readTextFile(w.config), before);
  });

  await t.step("--json: what was written and the commands to run, on stdout", async () => {
    const r = await w.lmi("init", ...FLAGS, "--type", "client_credentials", "-e", "ci", "--json");
    assertEquals(r.code, 0, r.stderr);
    assertEquals(JSON.parse(r.stdout), {
      path: w.config,
      env: "ci",
      type: "client_credentials",
      issuer: ISSUER,
      client_id: IDP.clientId,
      appended: true,
      trusted: true,
      variables: ["LMI_CI_CLIENT_SECRET"],
      commands: ["export LMI_CI_CLIENT_SECRET=…", "lmi login --env ci"],
    });
    assertEquals(r.stderr, "");
  });
});

Deno.test("lmi init outside a terminal: flags only, a missing one is exit 2", async (t) => {
  await using w = await fresh();
  const refused = async (args: string[], code: number, message: string, hint?: string) => {
    const r = await w.lmi("init", ...args);
    assertEquals([r.code, r.stdout], [code, ""], r.stderr);
    assertStringIncludes(r.stderr, `lmi: error: ${message}`);
    if (hint) assertStringIncludes(r.stderr, `hint: ${hint}`);
    assert(!await exists(w.config), "nothing written");
  };
  await t.step("missing flags are named", async () => {
    await refused(
      ["--client-id", "x"],
      2,
      "--issuer, --type required when lmi init cannot ask (no terminal, or CI is set)",
      "lmi init --issuer URL --client-id ID --type client_credentials|password|sso|",
    );
    w.terminal = true;
    w.env.CI = "true";
    await refused(["--issuer", ISSUER, "--type", "sso"], 2, "--client-id required when");
    delete w.env.CI;
    w.terminal = false;
  });
  await t.step("bad flag values", async () => {
    await refused([...FLAGS, "--type", "cc"], 2, '--type: lmi init does not write "cc"');
    await refused(
      [...FLAGS, "--type", "command"],
      2,
      '--type: lmi init does not write "command"',
      'a "command" env signs in at no IdP: write it by hand',
    );
    await refused(["--issuer", "idp.example", "--client-id", "x", "--type", "sso"], 2, "--issuer");
    await refused([...FLAGS, "--type", "sso", "--env", "Dev"], 2, 'invalid env name "Dev"');
    await refused([...FLAGS, "--type", "sso", "extra"], 2, "");
  });
  await t.step("plain http to another host is refused as everywhere (exit 3)", async () => {
    await refused(
      ["--issuer", "http://idp.example", "--client-id", "x", "--type", "sso"],
      3,
      'refusing to send credentials over plain http to "http://idp.example" (issuer)',
    );
  });
});

Deno.test("lmi init checks what the IdP offers", async (t) => {
  await using w = await fresh();
  const refused = async (issuer: string, type: string, code: number, message: string) => {
    const r = await w.lmi("init", "--issuer", issuer, "--client-id", "x", "--type", type);
    assertEquals(r.code, code, r.stderr);
    assertStringIncludes(r.stderr, `lmi: error: ${message}`);
    assert(!await exists(w.config), "nothing written");
    return r;
  };

  await t.step("a grant it does not offer: exit 3 naming what it offers", async () => {
    const issuer = "https://people-only.example";
    serve(w, issuer, document(issuer, { grant_types_supported: ["authorization_code"] }));
    const r = await refused(
      issuer,
      "client_credentials",
      3,
      `the IdP at ${issuer} does not offer the client_credentials grant (--type ` +
        "client_credentials); its grants: authorization_code\n",
    );
    assertStringIncludes(r.stderr, "hint: pick a type it offers: --type sso\n");
  });

  await t.step("no client authentication lmi can write: exit 3", async () => {
    const issuer = "https://mtls-only.example";
    serve(
      w,
      issuer,
      document(issuer, { token_endpoint_auth_methods_supported: ["tls_client_auth"] }),
    );
    const r = await refused(
      issuer,
      "client_credentials",
      3,
      `the IdP at ${issuer} offers no client authentication lmi init can write for ` +
        'client_credentials: it offers "tls_client_auth"',
    );
    assertStringIncludes(r.stderr, "write the env by hand (client_auth, client_cert_file");
  });

  await t.step("sso needs an authorization or device endpoint", async () => {
    const issuer = "https://machines-only.example";
    serve(w, issuer, {
      issuer,
      token_endpoint: IDP.tokenUrl,
      grant_types_supported: ["client_credentials"],
    });
    const r = await refused(issuer, "sso", 3, `the IdP at ${issuer} does not offer sign-in for`);
    assertStringIncludes(r.stderr, "hint: pick a type it offers: --type client_credentials\n");
  });

  await t.step("not a discovery document: exit 3 with the URLs tried", async () => {
    const issuer = "https://web.example/app";
    const r = await refused(
      issuer,
      "sso",
      3,
      `no discovery document at the issuer ${issuer}: ` +
        `${issuer}/.well-known/openid-configuration answered HTTP 404, ` +
        "https://web.example/.well-known/oauth-authorization-server/app answered HTTP 404\n",
    );
    assertStringIncludes(r.stderr, "hint: check --issuer: the IdP's settings name it");
    w.answers.set(
      `${issuer}/.well-known/openid-configuration`,
      () => new Response("<html>welcome</html>", { headers: { "content-type": "text/html" } }),
    );
    await refused(
      issuer,
      "sso",
      3,
      `no discovery document at the issuer ${issuer}: ` +
        `${issuer}/.well-known/openid-configuration answered HTTP 200 with an HTML page, `,
    );
  });

  await t.step("a document naming another issuer says which", async () => {
    const issuer = "https://alias.example";
    serve(w, issuer, document("https://real.example"));
    const r = await refused(
      issuer,
      "sso",
      3,
      `the IdP at ${issuer} says its issuer is "https://real.example", not "${issuer}"`,
    );
    assertStringIncludes(r.stderr, 'hint: use "https://real.example", the issuer the IdP names');
  });

  await t.step("unreachable: exit 5", async () => {
    const issuer = "https://down.example";
    w.answers.set(`${issuer}/.well-known/openid-configuration`, () => {
      throw new TypeError("connection refused");
    });
    await refused(issuer, "sso", 5, `cannot reach ${issuer}/.well-known/openid-configuration`);
  });

  await t.step("RFC 8414 metadata without grant lists: assumed, and said", async () => {
    const issuer = "https://plain-oauth.example";
    serve(w, issuer, { issuer, token_endpoint: IDP.tokenUrl }, "oauth2");
    const r = await w.lmi("init", "--issuer", issuer, "--client-id", "x", "--type", "password");
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(
      r.stderr,
      "lmi: warning: the discovery document lists no grant_types_supported (RFC 8414: then " +
        "only authorization_code and implicit); assuming the IdP offers password",
    );
    const file = await parseConfigText(await Deno.readTextFile(w.config), w.config);
    assertEquals(file.envs.dev?.auth?.client_secret_env, "LMI_DEV_CLIENT_SECRET");
  });
});

Deno.test("lmi init never extends a discovered file the user has not trusted", async (t) => {
  await using w = await fresh();
  const stranger = '[envs.git]\n[envs.git.auth]\ntype = "command"\ncommand = ["sh", "x"]\n';
  await Deno.writeTextFile(w.config, stranger);

  await t.step("untrusted ./lmi.toml: exit 3 with the trust hint; nothing written", async () => {
    const r = await w.lmi("init", ...FLAGS, "--type", "client_credentials");
    assertEquals(r.code, 3);
    assertEquals(
      r.stderr,
      `lmi: error: ${w.config} is not trusted (lmi init adds only to a file you trust, and ` +
        "trusts what it writes)\nhint: review it (lmi trust --show), run lmi trust, then lmi " +
        "init again; or write a file of your own with --config PATH\n",
    );
    assertEquals(await Deno.readTextFile(w.config), stranger);
    assertEquals(await trustRecords(w), []);
  });

  await t.step("trusted, then changed: exit 3, changed since you trusted it", async () => {
    assertEquals((await w.lmi("trust")).code, 0);
    await Deno.writeTextFile(w.config, stranger + "# more\n");
    const r = await w.lmi("init", ...FLAGS, "--type", "client_credentials");
    assertEquals(r.code, 3);
    assertStringIncludes(r.stderr, `lmi: error: ${w.config} changed since you trusted it\n`);
  });

  await t.step("named with --config: extended, but not made trusted", async () => {
    const before = await trustRecords(w);
    const r = await w.lmi("init", ...FLAGS, "--type", "client_credentials", "-c", w.config);
    assertEquals(r.code, 0, r.stderr);
    assert((await Deno.readTextFile(w.config)).startsWith(stranger + "# more\n"));
    assertEquals(await trustRecords(w), before);
    assertStringIncludes(r.stderr, "It is named by --config: lmi uses it so without a trust step.");
    assertStringIncludes(r.stderr, `lmi login --env dev --config ${w.config}`);
    assertEquals((await w.lmi("auth", "token")).code, 3, "still untrusted when discovered");
  });
});

Deno.test("lmi init appends as text, keeps the mode, and works with --config", async (t) => {
  await using w = await fresh();

  await t.step("a file without a final line break, CRLF lines, mode 0600", async () => {
    const mine = '# my settings\r\n[envs.old]\r\nbase_url = "https://old.example"';
    const path = join(w.dir, "mine.toml");
    await Deno.writeTextFile(path, mine);
    if (Deno.build.os !== "windows") await Deno.chmod(path, 0o600);
    const r = await w.lmi("init", ...FLAGS, "--type", "sso", "--config", path);
    assertEquals(r.code, 0, r.stderr);
    const after = await Deno.readTextFile(path);
    assert(after.startsWith(mine + '\n\n# env "dev": added by `lmi init`'), after);
    if (Deno.build.os !== "windows") assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    const file = await parseConfigText(after, path);
    assertEquals(file.sso?.default, {
      issuer: ISSUER,
      client_id: IDP.clientId,
      scopes: ["openid", "profile", "email", "offline_access"],
    });
    assertEquals(file.envs.dev?.auth, { type: "sso" });
    assertStringIncludes(r.stderr, `lmi login sso --config ${path}\n`);
    const show = await w.lmi("env", "show", "dev", "--config", path, "--json");
    assertEquals(show.code, 0, show.stderr);
  });

  await t.step(
    "[sso] for the same issuer and client is reused; another is not changed",
    async () => {
      const path = join(w.dir, "mine.toml");
      const before = await Deno.readTextFile(path);
      const r = await w.lmi("init", ...FLAGS, "--type", "sso", "-c", path, "-e", "web");
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stderr, "using the [sso] table already there");
      const after = await Deno.readTextFile(path);
      assertEquals(after.split("[sso]").length, 2, "one [sso] table");
      const other = "https://other-idp.example";
      serve(w, other, document(other));
      const r2 = await w.lmi(
        "init",
        "--issuer",
        other,
        "--client-id",
        "lmi",
        "--type",
        "sso",
        "-c",
        path,
        "-e",
        "x",
      );
      assertEquals(r2.code, 1);
      assertStringIncludes(
        r2.stderr,
        `lmi: error: ${path} already has an [sso] table with issuer "${ISSUER}" and client_id ` +
          `"${IDP.clientId}"; lmi init does not change it\n`,
      );
      assertEquals(await Deno.readTextFile(path), after);
      assert(after.startsWith(before));
    },
  );

  await t.step("a file changed while lmi init ran is left as it is now (exit 1)", async () => {
    const path = join(w.dir, "mine.toml");
    const issuer = "https://slow.example";
    w.answers.set(`${issuer}/.well-known/openid-configuration`, async () => {
      await Deno.writeTextFile(path, "# edited meanwhile\n", { append: true });
      return Response.json(document(issuer));
    });
    const r = await w.lmi(
      "init",
      "--issuer",
      issuer,
      "--client-id",
      "x",
      "--type",
      "password",
      "-c",
      path,
      "-e",
      "pw",
    );
    assertEquals(r.code, 1, r.stderr);
    assertStringIncludes(
      r.stderr,
      `lmi: error: ${path} changed while lmi init ran; nothing written\n`,
    );
    assert((await Deno.readTextFile(path)).endsWith("\n# edited meanwhile\n"));
  });

  await t.step("a missing folder for --config is made", async () => {
    const path = userConfigPath({ env: (name) => w.env[name], os: Deno.build.os })!;
    const r = await w.lmi("init", ...FLAGS, "--type", "token_exchange", "-c", path, "-e", "ci");
    assertEquals(r.code, 0, r.stderr);
    const file = await parseConfigText(await Deno.readTextFile(path), path);
    assertEquals(file.envs.ci?.auth?.subject_token_source, "github_actions");
    assertEquals(file.envs.ci?.auth?.client_secret_env, undefined, "a public client");
    // The user config is found without --config here (no lmi.toml around).
    assertStringIncludes(r.stderr, "\n  lmi auth token --env ci\n");
    const show = await w.lmi("env", "show", "ci");
    assertEquals(show.code, 0, show.stderr);
    assertMatch(show.stdout, /auth\.client_auth +none/);
  });
});

Deno.test("lmi init in a terminal asks for what the flags do not give", async (t) => {
  await using w = await fresh();
  w.terminal = true;

  await t.step("issuer, type from those offered, client id, env name (default dev)", async () => {
    w.typed = ["not a url", ISSUER, "7", "sso", "", "lmi-cli", ""];
    const r = await w.lmi("init");
    assertEquals(r.code, 0, r.stderr);
    assertEquals(w.typed, []);
    assertStringIncludes(
      r.stderr,
      "? Issuer URL of the IdP (e.g. https://idp.example.com/realms/corp): ",
    );
    assertStringIncludes(r.stderr, '  not a URL: "not a url"\n');
    assertStringIncludes(r.stderr, `Reading the discovery document of ${ISSUER}…\n`);
    assertStringIncludes(
      r.stderr,
      "  1) client_credentials  a service signs in with its own client id and secret\n",
    );
    assertStringIncludes(r.stderr, "  5) jwt_bearer          a CI job presents its own token");
    assertStringIncludes(r.stderr, "? Kind of sign-in [1]: ");
    assertStringIncludes(r.stderr, "  answer a number from 1 to 5, or a name\n");
    assertStringIncludes(r.stderr, "? Name of the new env [dev]: ");
    const file = await parseConfigText(await Deno.readTextFile(w.config), w.config);
    assertEquals(file.sso?.default?.client_id, "lmi-cli");
    assertEquals(file.envs.dev?.auth?.type, "sso");
  });

  await t.step("a taken env name is asked again; flags answer the rest", async () => {
    w.typed = ["dev", "api"];
    const r = await w.lmi("init", ...FLAGS, "--type", "client_credentials", "--env", "dev");
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stderr, `env "dev" is already in ${w.config}.\n`);
    assertStringIncludes(r.stderr, "? Name of the new env: ");
    assertStringIncludes(r.stderr, `  env "dev" is already in ${w.config}; pick another name\n`);
    assertNotIncludes(r.stderr, "Issuer URL");
    const file = await parseConfigText(await Deno.readTextFile(w.config), w.config);
    assertEquals(file.envs.api?.auth?.type, "client_credentials");
  });

  await t.step("only the types the IdP offers are offered", async () => {
    const issuer = "https://cc-only.example";
    serve(w, issuer, document(issuer, { grant_types_supported: ["client_credentials"] }));
    w.typed = ["1", "svc", "machines"];
    const r = await w.lmi("init", "--issuer", issuer);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stderr, "  1) client_credentials  a service");
    assertNotIncludes(r.stderr, "2)");
  });

  await t.step("the end of input is no answer: exit 2 naming the flag", async () => {
    const before = await Deno.readTextFile(w.config);
    w.typed = [];
    const r = await w.lmi("init", "--issuer", ISSUER, "--type", "sso");
    assertEquals(r.code, 2);
    assertStringIncludes(r.stderr, "lmi: error: no answer for --client-id\n");
    assertEquals(await Deno.readTextFile(w.config), before);
  });
});

Deno.test("init's pieces: what an IdP offers, TOML strings, appending", () => {
  const doc = { issuer: ISSUER, grant_types_supported: ["client_credentials"] };
  assertEquals(grantOffer("client_credentials", doc), "listed");
  assertEquals(grantOffer("token_exchange", doc), "no");
  assertEquals(grantOffer("password", { issuer: ISSUER }), "assumed");
  assertEquals(grantOffer("sso", { issuer: ISSUER }), "no", "no authorization endpoint");
  assertEquals(
    grantOffer("sso", { issuer: ISSUER, authorization_endpoint: `${ISSUER}/auth` }),
    "assumed",
  );
  assertEquals(offeredTypes(doc), ["client_credentials"]);
  assertEquals(offeredTypes({ issuer: ISSUER, grant_types_supported: ["implicit"] }), []);
  assertEquals(clientAuthFor("client_credentials", { issuer: ISSUER }).choice, "secret");
  assertEquals(
    clientAuthFor("client_credentials", {
      issuer: ISSUER,
      token_endpoint_auth_methods_supported: ["private_key_jwt"],
    }).choice,
    "private_key_jwt",
  );
  assertEquals(
    clientAuthFor("password", { issuer: ISSUER, token_endpoint_auth_methods_supported: ["none"] })
      .choice,
    "public",
  );
  assertEquals(tomlString('a"b\\c\u007f\n'), '"a\\"b\\\\c\\u007F\\n"');
  assertEquals(appendTo("", "x\n"), "x\n");
  assertEquals(appendTo("a\n", "\nx\n"), "a\n\nx\n");
  assertEquals(appendTo("a", "\nx\n"), "a\n\nx\n");
});
