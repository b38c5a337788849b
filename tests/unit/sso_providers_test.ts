/**
 * Several SSO providers (`[sso]` is "default", `[sso.<name>]` the others), in process against the
 * fake SSO IdPs: the config's rules (file:line errors), one session per provider under its own
 * account and lock, envs choosing theirs with `sso = "<name>"`, hints naming the exact command,
 * `auth status`, `logout sso NAME|--all`, `env show`, `env list --json`, `lmi trust`; and the
 * upgrade: a session stored before there were several providers is still found.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotIncludes,
  assertRejects,
  assertStringIncludes,
} from "../helpers/assert.ts";
import { failed, IDP, ok, storeSession, type World, world } from "../helpers/in_process.ts";
import { fakeDeps } from "../helpers/fakes.ts";
import { dataDir, tokenDir } from "../../src/config/paths.ts";
import { parseConfigText } from "../../src/config/load.ts";
import { isFileConfig } from "../../src/config/schema.ts";
import { ConfigError } from "../../src/errors.ts";
import { fileNameFor, fileStore } from "../../src/sso/store.ts";
import { accountFor, saveSession, SESSION_VERSION } from "../../src/sso/session.ts";
import { join } from "../../src/util/path.ts";

const LAB = IDP.ssoDeviceIssuer;

/** `[sso]` at the fake SSO IdP, `[sso.lab]` at the one with the device flow, an env on each. */
const TWO = `[sso]
issuer = "${IDP.ssoIssuer}"
client_id = "lmi"

[sso.lab]
issuer = "${LAB}"
client_id = "lmi"

[envs.app]
base_url = "${IDP.apiUrl}"
[envs.app.auth]
type = "sso"

[envs.labapp]
base_url = "${IDP.apiUrl}"
sso = "lab"
[envs.labapp.auth]
type = "sso"
`;

/** Store a session for provider `name` at `issuer` (the fake clock: 00:00). */
function signedIn(
  w: World,
  issuer: string,
  token: string,
  options: { clientId?: string; name?: string; sharesIssuer?: boolean; expired?: boolean } = {},
) {
  const { clientId = "lmi", name = "default", sharesIssuer = false } = options;
  return storeSession(w.env, {
    issuer,
    client_id: clientId,
    access_token: token,
    expires_at: options.expired ? "2025-12-31T23:00:00.000Z" : "2026-01-01T01:00:00.000Z",
    refresh_token: `${token}-rt`,
    obtained_at: "2025-12-31T22:00:00.000Z",
  }, { name, issuer, clientId, sharesIssuer });
}

/** The session files of the file store, by account. */
function stored(w: World, ...accounts: string[]): boolean[] {
  const dir = join(dataDir(fakeDeps({ env: w.env }))!, "sso");
  return accounts.map((a) => {
    try {
      return Deno.statSync(join(dir, fileNameFor(a))).isFile;
    } catch {
      return false;
    }
  });
}

async function configError(toml: string): Promise<ConfigError> {
  return await assertRejects(() => parseConfigText(toml, "/cfg/lmi.toml"), ConfigError);
}

Deno.test("the config: [sso.NAME] providers and an env's sso, checked with file:line", async (t) => {
  await t.step("[sso]'s own keys are the provider default, its tables the others", async () => {
    const file = await parseConfigText(TWO, "/cfg/lmi.toml");
    assertEquals(Object.keys(file.sso!), ["default", "lab"]);
    assertEquals(file.sso!.lab, { issuer: LAB, client_id: "lmi" });
    assertEquals(file.envs.labapp?.sso, "lab");
    const named = await parseConfigText(`[sso.lab]\nissuer = "${LAB}"\nclient_id = "x"\n`, "/c");
    assertEquals(Object.keys(named.sso!), ["lab"], "named providers only: no default");
  });
  await t.step("a provider's name: as an env's, not a key of [sso], not default", async () => {
    const bad = await configError('[sso.Lab]\nissuer = "https://x"\n');
    assertEquals(bad.message, '/cfg/lmi.toml:1: sso.Lab: invalid SSO provider name "Lab"');
    assertMatch(bad.hint!, /lower-case letters, digits/);
    const key = await configError('[sso]\nclient_id = "lmi"\n[sso.scopes]\nissuer = "https://x"\n');
    assertEquals(
      key.message,
      '/cfg/lmi.toml:3: sso.scopes: a provider cannot be named "scopes": it is a key of [sso]',
    );
    const dflt = await configError('[sso.default]\nissuer = "https://x"\n');
    assertEquals(
      dflt.message,
      '/cfg/lmi.toml:1: sso.default: the provider "default" is [sso] itself',
    );
    assertEquals(dflt.hint, "put its keys directly in [sso], or give this provider another name");
  });
  await t.step("a provider's keys are [sso]'s: an unknown one is named with its line", async () => {
    const err = await configError(`[sso.lab]\nissuer = "${LAB}"\nclientid = "lmi"\n`);
    assertEquals(err.message, "/cfg/lmi.toml:3: sso.lab.clientid: unknown key");
    assertEquals(err.hint, 'did you mean "client_id"?');
  });
  await t.step(
    "an env naming a provider that does not exist: named, providers listed",
    async () => {
      const err = await configError(TWO.replace('sso = "lab"', 'sso = "lba"'));
      assertEquals(err.message, '/cfg/lmi.toml:16: envs.labapp.sso: unknown SSO provider "lba"');
      assertEquals(err.hint, 'did you mean "lab"? providers: default, lab');
      const none = await configError('[envs.dev]\nsso = "default"\n');
      assertEquals(
        none.hint,
        "this file defines no SSO provider: add [sso] with issuer and client_id",
      );
    },
  );
  await t.step(
    "two providers with the same issuer and client_id would share a session",
    async () => {
      const err = await configError(
        `[sso]\nissuer = "${LAB}"\nclient_id = "lmi"\n[sso.lab]\nissuer = "${LAB}/"\nclient_id = "lmi"\n`,
      );
      assertEquals(
        err.message,
        "/cfg/lmi.toml:6: sso.lab.client_id: the same issuer and client_id as [sso]: the two would " +
          "share one session",
      );
    },
  );
  await t.step("the parsed-config cache's check knows providers and references", () => {
    assert(isFileConfig({ envs: { a: { sso: "lab" } }, sso: { lab: { issuer: LAB } } }));
    assert(!isFileConfig({ envs: { a: { sso: "nope" } }, sso: { lab: { issuer: LAB } } }));
    assert(!isFileConfig({ envs: {}, sso: { Lab: { issuer: LAB } } }));
    assert(!isFileConfig({ envs: {}, sso: { lab: { issuer: 1 } } }));
  });
});

Deno.test("two providers: one session each, hints naming the provider, status, logout", async (t) => {
  await using w = await world(TWO);
  const path = join(w.dir, "lmi.toml");

  await t.step("nobody signed in: auth status names both providers, exit 1", async () => {
    const r = await w.lmi("auth", "status");
    assertEquals(r.code, 1, r.stderr);
    assertEquals(r.stdout.split("\n").slice(0, 2), [
      `SSO ${IDP.ssoIssuer}: not signed in (run lmi login sso)`,
      `SSO lab (${LAB}): not signed in (run lmi login sso lab)`,
    ]);
  });
  await t.step("an env of lab without a session: the hint is lmi login sso lab", async () => {
    const r = await w.lmi("auth", "token", "-e", "labapp");
    assertEquals(r.code, 4, r.stderr);
    assertEquals(
      r.stderr,
      "lmi: error: not signed in: run `lmi login sso lab`\n" +
        "hint: not signed in; sign in with lmi login sso lab (--device on a machine without a " +
        "browser)\n",
    );
    const dflt = await w.lmi("auth", "token", "-e", "app");
    assertMatch(
      dflt.stderr,
      /not signed in: run `lmi login sso`\nhint: .*sign in with lmi login sso$/m,
    );
  });
  await t.step("not interactive: the sign-in's hint names the provider", async () => {
    const r = await w.lmi("login", "sso", "lab");
    assertEquals(r.code, 4, r.stderr);
    assertMatch(
      r.stderr,
      /not interactive[^\n]*\nhint: run lmi login sso lab --device \(or --no-browser\)/,
    );
  });
  await t.step("lmi login on an env of lab is lab's sign-in", async () => {
    const r = await w.lmi("login", "-e", "labapp");
    assertEquals(r.code, 4, r.stderr);
    assertMatch(r.stderr, /\nhint: run lmi login sso lab --device \(or --no-browser\)/);
  });
  await t.step("in a terminal, the offer to sign in names the provider", async () => {
    w.terminal = true;
    w.typed.push("n");
    const r = await w.lmi("auth", "token", "-e", "labapp");
    w.terminal = false;
    assertEquals(r.code, 4, r.stderr);
    assertEquals(
      r.stderr,
      `Your SSO session at lab (${LAB}) has expired or is missing. Sign in again now? [Y/n] \n` +
        "lmi: error: sign-in declined: run `lmi login sso lab` when you are ready\n" +
        "hint: sign in with lmi login sso lab\n",
    );
  });
  await t.step("a provider the config does not have: exit 3, the providers listed", async () => {
    assertEquals(
      await w.lmi("login", "sso", "lba", "--device"),
      failed(3, `no SSO provider "lba" in ${path}`, 'did you mean "lab"? providers: default, lab'),
    );
    assertEquals((await w.lmi("logout", "sso", "nope")).code, 3);
  });

  await signedIn(w, IDP.ssoIssuer, "corp-at");
  await signedIn(w, LAB, "lab-at", { name: "lab" });
  await t.step("each env uses its provider's session", async () => {
    assertEquals(await w.lmi("auth", "token", "-e", "app"), ok("corp-at\n"));
    assertEquals(await w.lmi("auth", "token", "-e", "labapp"), ok("lab-at\n"));
  });
  await t.step("auth status: every provider's session, text and --json", async () => {
    const r = await w.lmi("auth", "status");
    assertEquals(r.code, 0, r.stderr);
    const expiry = "access token expires in 1h00m (2026-01-01T01:00:00.000Z)";
    assertEquals(r.stdout.split("\n"), [
      `SSO ${IDP.ssoIssuer}: signed in as alice@example.com, ${expiry}`,
      `SSO lab (${LAB}): signed in as alice@example.com, ${expiry}`,
      `SSO session store: the file store ${join(dataDir(fakeDeps({ env: w.env }))!, "sso")}, ` +
      "because LMI_KEYRING=file",
      "env app (sso): uses the SSO session",
      "env labapp (sso): uses the SSO session of lab",
      "",
    ]);
    const json = JSON.parse((await w.lmi("auth", "status", "--json")).stdout);
    assertEquals(json.sso.name, "default", "sso: the default provider, as before");
    assertEquals(
      json.sso_providers.map((p: Record<string, unknown>) => [p.name, p.issuer, p.signed_in]),
      [["default", IDP.ssoIssuer, true], ["lab", LAB, true]],
    );
    assertEquals(json.envs.map((e: Record<string, unknown>) => e.sso), ["default", "lab"]);
    assertNotIncludes(JSON.stringify(json), "lab-at");
  });
  await t.step("the sessions are kept apart: each refreshed under its own lock", async () => {
    await signedIn(w, IDP.ssoIssuer, "corp-at", { expired: true });
    await signedIn(w, LAB, "lab-at", { name: "lab", expired: true });
    assertEquals(await w.lmi("auth", "token", "-e", "app"), ok("sso-at-1\n"));
    assertEquals(await w.lmi("auth", "token", "-e", "labapp"), ok("sso-at-2\n"));
    const locks = [...Deno.readDirSync(tokenDir(fakeDeps({ env: w.env }))!)]
      .map((e) => e.name).filter((n) => /^sso-(?!sign-in-).*\.lock$/.test(n)); // refresh locks
    assertEquals(locks.length, 2, locks.join(", "));
  });
  await t.step("logout sso lab: lab's session revoked and gone, default's kept", async () => {
    w.revoked.length = 0;
    assertEquals(await w.lmi("logout", "sso", "lab"), ok("", `Signed out of lab (${LAB})\n`));
    assertEquals(w.revoked, ["refresh_token", "access_token"]);
    assertEquals((await w.lmi("auth", "token", "-e", "labapp")).code, 4);
    assertEquals(await w.lmi("auth", "token", "-e", "app"), ok("sso-at-1\n"));
    assertEquals((await w.lmi("auth", "status")).code, 1, "one provider is not signed in");
    assertEquals((await w.lmi("auth", "status", "-e", "app")).code, 0);
  });
  await t.step("logout sso --all: every provider; NAME and --all together: exit 2", async () => {
    assertEquals((await w.lmi("logout", "sso", "lab", "--all")).code, 2);
    assertEquals(
      await w.lmi("logout", "sso", "--all"),
      ok("", `Signed out of ${IDP.ssoIssuer}\nNot signed in to lab (${LAB})\n`),
    );
    assertEquals((await w.lmi("auth", "token", "-e", "app")).code, 4);
  });
  await t.step("env show: the env's provider and where that came from", async () => {
    const shown = async (env: string) =>
      JSON.parse((await w.lmi("env", "show", env, "--json")).stdout).values.sso;
    assertEquals(await shown("labapp"), { value: "lab", source: path });
    assertEquals(await shown("app"), { value: "default", source: "default" });
    assertMatch((await w.lmi("env", "show", "labapp")).stdout, /^sso +lab +\S+lmi\.toml$/m);
  });
  await t.step("env list --json lists the providers", async () => {
    const json = JSON.parse((await w.lmi("env", "list", "--json")).stdout);
    assertEquals(json.sso_providers, [
      { name: "default", issuer: IDP.ssoIssuer, client_id: "lmi" },
      { name: "lab", issuer: LAB, client_id: "lmi" },
    ]);
  });
  await t.step("lmi trust shows every provider", async () => {
    const r = await w.lmi("trust", "--show", path);
    assertEquals(r.code, 0, r.stderr);
    const text = r.stdout + r.stderr;
    assertStringIncludes(text, `[sso] signs people in at host "sso.example"`);
    assertStringIncludes(text, `[sso.lab] signs people in at host "sso-device.example"`);
  });
});

Deno.test("only named providers: lmi login sso asks for a name; an env without sso = …", async () => {
  await using w = await world(TWO.replace(/^\[sso\]\n[^[]*/, "").replace('sso = "lab"\n', ""));
  const path = join(w.dir, "lmi.toml");
  assertEquals(
    await w.lmi("login", "sso"),
    failed(
      3,
      `${path} has no default SSO provider ([sso] itself has no keys)`,
      "name one: lmi login sso lab (providers: lab)",
    ),
  );
  assertEquals(
    await w.lmi("auth", "token", "-e", "app"),
    failed(
      3,
      `env "app" needs SSO, but there is no [sso] table in ${path}`,
      'add [sso] with issuer and client_id to lmi.toml, or name another provider with sso = "NAME" ' +
        "in [envs.app] (see docs/sso.md)",
    ),
  );
});

/** [sso] and [sso.admin] at one issuer, with their own clients; an env on each. */
const SHARED = `[sso]
issuer = "${IDP.ssoIssuer}"
client_id = "lmi"

[sso.admin]
issuer = "${IDP.ssoIssuer}"
client_id = "lmi-admin"

[envs.app]
[envs.app.auth]
type = "sso"

[envs.adminapp]
sso = "admin"
[envs.adminapp.auth]
type = "sso"
`;

Deno.test("sessions stored before there were several providers are still found", async (t) => {
  await using w = await world(SHARED);
  const plain = accountFor(IDP.ssoIssuer);
  const admins = accountFor(IDP.ssoIssuer, "lmi-admin");

  await t.step("[sso]'s session, stored as lmi always did (sso:<issuer>): found", async () => {
    // saveSession without a provider: the account lmi used for the one [sso] session
    await saveSession(fileStore(dataDir(fakeDeps({ env: w.env }))!), {
      version: SESSION_VERSION,
      issuer: IDP.ssoIssuer,
      client_id: "lmi",
      access_token: "old-at",
      token_type: "Bearer",
      expires_at: "2026-01-01T01:00:00.000Z",
      user: { sub: "alice" },
      obtained_at: "2026-01-01T00:00:00.000Z",
    });
    assertEquals(stored(w, plain), [true]);
    assertEquals(await w.lmi("auth", "token", "-e", "app"), ok("old-at\n"));
  });
  await t.step(
    "a provider sharing the default one's issuer does not take its session",
    async () => {
      const r = await w.lmi("auth", "token", "-e", "adminapp");
      assertEquals(r.code, 4, r.stderr);
      assertMatch(r.stderr, /not signed in: run `lmi login sso admin`/);
    },
  );
  await t.step("its own session is kept under sso:<issuer>#<client_id>", async () => {
    await signedIn(w, IDP.ssoIssuer, "admin-at", {
      name: "admin",
      clientId: "lmi-admin",
      sharesIssuer: true,
    });
    assertEquals(stored(w, plain, admins), [true, true]);
    assertEquals(await w.lmi("auth", "token", "-e", "adminapp"), ok("admin-at\n"));
    assertEquals(await w.lmi("auth", "token", "-e", "app"), ok("old-at\n"));
    assertEquals(
      await w.lmi("logout", "sso", "admin"),
      ok("", `Signed out of admin (${IDP.ssoIssuer})\n`),
    );
    assertEquals(stored(w, plain, admins), [true, false], "the default one's is kept");
  });
});

Deno.test("a named provider that gets company at its issuer keeps its session", async (t) => {
  // Before: [sso.admin] alone at its issuer, its session under the plain account.
  await using w = await world(
    SHARED.replace(/^\[sso\]\n[^[]*/, "").replace(/\[envs\.app\][^]*?(?=\[envs\.adminapp\])/, ""),
  );
  const plain = accountFor(IDP.ssoIssuer);
  const admins = accountFor(IDP.ssoIssuer, "lmi-admin");
  await signedIn(w, IDP.ssoIssuer, "admin-at", {
    name: "admin",
    clientId: "lmi-admin",
    expired: true,
  });
  assertEquals(stored(w, plain, admins), [true, false]);

  await w.writeConfig(SHARED);
  await t.step("then [sso] at the same issuer: admin still finds its session", async () => {
    const status = JSON.parse((await w.lmi("auth", "status", "--json")).stdout);
    assertEquals(
      status.sso_providers.map((p: Record<string, unknown>) => [p.name, p.signed_in]),
      [["default", false], ["admin", true]],
      "and the default provider does not take another client's session",
    );
  });
  await t.step("refreshed, it moves to sso:<issuer>#<client_id>", async () => {
    assertEquals(await w.lmi("auth", "token", "-e", "adminapp"), ok("sso-at-1\n"));
    assertEquals(stored(w, plain, admins), [false, true]);
    assertEquals(await w.lmi("auth", "token", "-e", "adminapp"), ok("sso-at-1\n"));
    assertEquals((await w.lmi("auth", "token", "-e", "app")).code, 4);
  });
});
