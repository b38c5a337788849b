/**
 * Trust in a discovered lmi.toml (DESIGN.md → Configuration → Trust), in process: what is refused
 * and how it is said, `lmi trust` / `--list` / `untrust`, `LMI_TRUSTED_PATHS`, content-based
 * trust, canonical paths, which `.env` files are read, and the credential helpers' silence.
 */
import { join } from "../../src/util/path.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotIncludes,
  assertStringIncludes,
} from "../helpers/assert.ts";
import { failed, IDP, serviceEnv, world } from "../helpers/in_process.ts";
import { isWithin } from "../../src/config/trust.ts";
import { shown } from "../../src/config/trust_review.ts";
import { exists } from "../helpers/files.ts";

/** An env that runs a command: what a stranger's repository would commit. */
/** The hint for an untrusted file, outside CI. */
const HINT = "review it, then run lmi trust (lmi trust --show shows what it lets lmi do), or " +
  "name your config with --config or LMI_CONFIG";

const COMMAND_ENV = `[envs.git]
base_url = "https://git.example.com/org"
[envs.git.auth]
type = "command"
command = ["sh", "-c", "touch pwned; echo tok"]
`;

function dataFile(dir: string): string {
  return Deno.build.os === "windows"
    ? join(dir, "home", "AppData", "Roaming", "lmi", "trust.json")
    : join(dir, "home", ".local", "share", "lmi", "trust.json");
}

Deno.test("a discovered lmi.toml is used only once trusted", async (t) => {
  await using w = await world(serviceEnv("dev"));
  w.env.LMI_TRUSTED_PATHS = "";
  const config = join(w.dir, "lmi.toml");

  await t.step("untrusted: exit 3, the path and the hint; no request leaves", async () => {
    assertEquals(
      await w.lmi("auth", "token", "--env", "dev"),
      failed(3, `${config} is not trusted`, HINT),
    );
    assertEquals(w.tokenRequests, 0);
    assertEquals((await w.lmi("env", "list")).code, 3);
    assertEquals((await w.lmi("auth", "status")).code, 3);
  });

  await t.step("lmi trust shows what the file lets lmi do, then records it", async () => {
    const r = await w.lmi("trust");
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "");
    assertMatch(r.stderr, /env "dev" \(client_credentials\)/);
    assertStringIncludes(
      r.stderr,
      '    gets tokens from    host "idp.example" ("https://idp.example/token"), sending ' +
        '"SVC_SECRET"\n',
    );
    assertStringIncludes(
      r.stderr,
      '    sends its tokens to host "api.example" ("https://api.example/")\n',
    );
    assertMatch(r.stderr, /reads variables {5}"SVC_SECRET"/);
    assertMatch(r.stderr, /Trusted ".*lmi\.toml": lmi uses it until its content changes/);
    const file = dataFile(w.dir);
    if (Deno.build.os !== "windows") assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
    const records = JSON.parse(await Deno.readTextFile(file));
    assertEquals(records.version, 1);
    assertEquals(records.files.length, 1);
    assertEquals(records.files[0].path, config);
    assertMatch(records.files[0].sha256, /^[0-9a-f]{64}$/);
    const token = await w.lmi("auth", "token", "--env", "dev");
    assertEquals(token.code, 0, token.stderr);
    assertEquals(w.tokenRequests, 1);
  });

  await t.step("trusting again: already trusted, nothing changes", async () => {
    const before = await Deno.readTextFile(dataFile(w.dir));
    const r = await w.lmi("trust", config);
    assertEquals(r.code, 0);
    assertMatch(r.stderr, /Already trusted/);
    assertEquals(await Deno.readTextFile(dataFile(w.dir)), before);
  });

  await t.step("an edit (same size) must be trusted again", async () => {
    const text = await Deno.readTextFile(config);
    await Deno.writeTextFile(config, text.replace("api.read", "api.rea2"));
    assertEquals(
      await w.lmi("auth", "token", "--env", "dev", "--force"),
      failed(3, `${config} changed since you trusted it`, HINT),
    );
    assertEquals(w.tokenRequests, 1);
  });

  await t.step("--list says which files are as trusted, changed or gone", async () => {
    const list = await w.lmi("trust", "--list");
    assertEquals(list.code, 0);
    assertMatch(list.stdout, /^changed +\d{4}-\d\d-\d\dT.*lmi\.toml"\n$/);
    const json = JSON.parse((await w.lmi("trust", "--list", "--json")).stdout);
    assertEquals(json.files.map((f: { state: string }) => f.state), ["changed"]);
    await w.lmi("trust");
    assertMatch((await w.lmi("trust", "--list")).stdout, /^trusted /);
  });

  await t.step("lmi untrust forgets it; untrusting again says so", async () => {
    const r = await w.lmi("untrust");
    assertEquals(r.code, 0);
    assertMatch(r.stderr, /^No longer trusted: /);
    assertEquals((await w.lmi("auth", "token", "--env", "dev")).code, 3);
    assertMatch((await w.lmi("untrust", config)).stderr, /was not trusted by lmi trust/);
    assertEquals(
      (await w.lmi("trust", "--list")).stderr,
      "No trusted files (lmi trust PATH records one) and no LMI_TRUSTED_PATHS.\n",
    );
  });

  await t.step("a trust file others can change is not believed", async () => {
    await w.lmi("trust");
    if (Deno.build.os === "windows") return;
    await Deno.chmod(dataFile(w.dir), 0o644);
    const r = await w.lmi("auth", "token", "--env", "dev");
    assertEquals(r.code, 3);
    assertMatch(r.stderr, /is not trusted \(ignoring .*trust\.json: its mode 644/);
    await Deno.chmod(dataFile(w.dir), 0o600);
  });

  await t.step("--config, LMI_CONFIG and LMI_TRUSTED_PATHS need no step", async () => {
    await w.lmi("untrust");
    assertEquals((await w.lmi("auth", "token", "--env", "dev", "--config", config)).code, 0);
    w.env.LMI_CONFIG = config;
    assertEquals((await w.lmi("auth", "token", "--env", "dev")).code, 0);
    delete w.env.LMI_CONFIG;
    w.env.LMI_TRUSTED_PATHS = ["/nonexistent", w.dir].join(Deno.build.os === "windows" ? ";" : ":");
    assertEquals((await w.lmi("auth", "token", "--env", "dev")).code, 0);
    w.env.LMI_TRUSTED_PATHS = "relative/folder";
    const r = await w.lmi("auth", "token", "--env", "dev");
    assertEquals(r.code, 3);
    assertMatch(r.stderr, /^lmi: error: LMI_TRUSTED_PATHS: "relative\/folder" is not absolute\n/);
    w.env.LMI_TRUSTED_PATHS = `${w.dir}-other`;
    assertEquals((await w.lmi("auth", "token", "--env", "dev")).code, 3, "a sibling prefix");
    w.env.LMI_TRUSTED_PATHS = "";
  });

  await t.step("lmi trust refuses a file lmi could not use, and a folder with none", async () => {
    await Deno.writeTextFile(config, "[envs.dev\n");
    const r = await w.lmi("trust");
    assertEquals(r.code, 3);
    assertMatch(r.stderr, /invalid TOML/);
    assertEquals((await w.lmi("trust", "--list")).stdout, "");
    await Deno.remove(config);
    const none = await w.lmi("trust");
    assertEquals(none.code, 3);
    assertEquals(none.stderr.split("\n")[1], "hint: give the file's path: lmi trust PATH");
  });
});

Deno.test("trust follows the file, not a link to it, and its folder's .env", async (t) => {
  await using w = await world(serviceEnv("dev"));
  w.env.LMI_TRUSTED_PATHS = "";
  const real = join(w.dir, "lmi.toml");
  const elsewhere = join(w.dir, "stranger");
  await Deno.mkdir(elsewhere);
  await Deno.symlink(real, join(elsewhere, "lmi.toml"));
  delete w.env.SVC_SECRET;
  await Deno.writeTextFile(join(w.dir, ".env"), `SVC_SECRET=${IDP.secret}\n`);
  await Deno.writeTextFile(join(elsewhere, ".env"), "SVC_SECRET=from-the-stranger\n");

  await t.step("trusting through a link records the file itself", async () => {
    w.cwd = elsewhere;
    assertEquals((await w.lmi("trust")).code, 0);
    const records = JSON.parse(await Deno.readTextFile(dataFile(w.dir)));
    assertEquals(records.files[0].path, real);
  });
  await t.step("the .env beside the file is read; the link's folder's is not", async () => {
    w.cwd = elsewhere;
    const r = await w.lmi("auth", "token", "--env", "dev");
    assertEquals(r.code, 0, r.stderr);
    assertEquals(w.tokenRequests, 1, "the IdP took the secret from the trusted folder's .env");
  });
});

Deno.test("the current folder's .env is read only on trusted ground", async (t) => {
  await using w = await world(serviceEnv("dev"));
  const config = join(w.dir, "lmi.toml");
  const stranger = `${w.dir}-stranger`;
  await Deno.mkdir(stranger);
  await Deno.writeTextFile(
    join(stranger, ".env"),
    "LMI_TOKEN_URL=https://collector.example/token\nLMI_CLIENT_ID=x\n" +
      "LMI_BASE_URL=https://git.example.com\nSVC_SECRET=planted\n",
  );
  try {
    w.cwd = stranger;
    w.env.LMI_TRUSTED_PATHS = "";
    delete w.env.SVC_SECRET;

    await t.step("a named config: the stranger's .env fills in no variable", async () => {
      const r = await w.lmi("auth", "token", "--env", "dev", "--config", config);
      assertEquals(r.code, 3);
      assertMatch(r.stderr, /variable SVC_SECRET is not set or empty/);
      assertMatch(
        r.stderr,
        /hint: .*\.env was not read: the current folder is not trusted \(add it to LMI_TRUSTED_PATHS\)\n$/,
      );
    });
    await t.step("no config: the stranger's .env defines no env", async () => {
      const r = await w.lmi("auth", "token");
      assertEquals(r.code, 3);
      assertMatch(r.stderr, /^lmi: error: no lmi config found: /);
      assertMatch(r.stderr, /\.env was not read: the current folder is not trusted/);
      w.stdin = "protocol=https\nhost=git.example.com\n\n";
      assertEquals(await w.lmi("git-credential", "get"), { code: 0, stdout: "", stderr: "" });
    });
    await t.step("in LMI_TRUSTED_PATHS it is read", async () => {
      w.env.LMI_TRUSTED_PATHS = stranger;
      const r = await w.lmi("env", "show", "--json");
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stdout, /collector\.example/);
    });
  } finally {
    await Deno.remove(stranger, { recursive: true });
  }
});

Deno.test("the credential helpers answer nothing for an untrusted file, and say why at -v", async (t) => {
  await using w = await world(COMMAND_ENV);
  w.env.LMI_TRUSTED_PATHS = "";
  const pwned = join(w.dir, "pwned");

  await t.step("git: no output, exit 0; -v says why", async () => {
    w.stdin = "protocol=https\nhost=git.example.com\npath=org/x.git\n\n";
    assertEquals(await w.lmi("git-credential", "get"), { code: 0, stdout: "", stderr: "" });
    const v = await w.lmi("git-credential", "get", "-v");
    assertEquals(v.stdout, "");
    assertMatch(v.stderr, /not trusted .*review it, then run lmi trust/);
    assertEquals(await w.lmi("git-credential", "get", "--env", "git"), {
      code: 0,
      stdout: "",
      stderr: "",
    });
  });
  await t.step("docker: its not-found answer; list: none", async () => {
    w.stdin = "https://git.example.com/org\n";
    assertEquals(await w.lmi("docker-credential", "get"), {
      code: 1,
      stdout: "credentials not found in native keychain\n",
      stderr: "",
    });
    assertEquals((await w.lmi("docker-credential", "list")).stdout, "{}\n");
  });
  await t.step("kubectl's exec-credential: exit 3 with the hint on stderr", async () => {
    const r = await w.lmi("auth", "token", "--env", "git", "--format", "exec-credential");
    assertEquals(r.code, 3);
    assertEquals(r.stdout, "");
    assertStringIncludes(r.stderr, `is not trusted\nhint: ${HINT}\n`);
  });
  await t.step("nothing ran", async () => {
    assert(!await exists(pwned), "the command must not have run");
  });
});

Deno.test("lmi trust shows a hostile file's values quoted, never as terminal controls", async () => {
  await using w = await world(
    '[envs."dev"]\nbase_url = "https://api.example"\n[envs.dev.auth]\ntype = "command"\n' +
      'command = ["sh", "-c", "echo tok\\u001b[2K\\r\\u202e"]\n',
  );
  const r = await w.lmi("trust");
  assertEquals(r.code, 0, r.stderr);
  assertNotIncludes(r.stderr, "\x1b");
  assertNotIncludes(r.stderr, "\u202e");
  assertStringIncludes(
    r.stderr,
    '    runs                "sh" "-c" "echo tok\\u001b[2K\\r\\u{202e}"\n',
  );
  assertEquals(shown("a\u0085b\u200b"), '"a\\u{85}b\\u{200b}"');
});

Deno.test("isWithin: whole path segments, case as the OS compares it", () => {
  assert(isWithin("/a/b/lmi.toml", "/a/b", "linux"));
  assert(isWithin("/a/b", "/a/b/", "linux"));
  assert(!isWithin("/a/bc/lmi.toml", "/a/b", "linux"));
  assert(!isWithin("/A/b/lmi.toml", "/a/b", "linux"));
  assert(isWithin("/A/b/lmi.toml", "/a/b", "darwin"));
  assert(isWithin("C:\\Work\\x\\lmi.toml", "c:\\work", "windows"));
  assert(!isWithin("C:\\Workshop\\lmi.toml", "c:\\work", "windows"));
  // "exact": two canonical paths as the OS wrote them, on any OS (a config's relative files).
  assert(isWithin("C:\\proj\\token.jwt", "C:\\proj", "exact"));
  assert(!isWithin("C:\\proj2\\token.jwt", "C:\\proj", "exact"));
  assert(isWithin("/p/token.jwt", "/p", "exact"));
});
