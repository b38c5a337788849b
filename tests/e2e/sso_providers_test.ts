/**
 * Two SSO providers end to end, against two real servers: `[sso]` at the dev IdP
 * (oidc-provider) and `[sso.lab]` at Debian's glewlwyd. Both signed in with the device flow
 * completed in Chromium, without a terminal; `auth status` shows both; each env (and the
 * library's `createClient`) uses its provider's session; signing out of one keeps the other.
 */
import { join } from "../../src/util/path.ts";
import { assertEquals, assertMatch, assertNotIncludes } from "../helpers/assert.ts";
import { ignoreUnless } from "../helpers/components.ts";
import { NEEDS_CHROMIUM } from "../helpers/browser.ts";
import { deviceSignInAs, signInWithoutTerminal } from "../helpers/background.ts";
import { libraryScriptArgs, runDeno } from "../helpers/cli.ts";
import { devSandbox } from "../helpers/dev_world.ts";
import { jwtClaims } from "../helpers/interop.ts";
import { NEEDS_GLEWLWYD, startGlewlwyd } from "../helpers/glewlwyd.ts";
import { startDevIdp } from "../../scripts/dev_idp/mod.ts";

/** src/mod.ts as a file URL: a Windows path (C:\...) is no import specifier. */
const MOD = JSON.stringify(new URL("../../src/mod.ts", import.meta.url).href);

const NAME = "two SSO providers (dev IdP and glewlwyd): both signed in, one signed out";

Deno.test({
  name: NAME,
  ignore: ignoreUnless(NAME, NEEDS_GLEWLWYD, NEEDS_CHROMIUM),
  fn: async (t) => {
    await using idp = await startDevIdp();
    await using g = await startGlewlwyd();
    await using box = await devSandbox(
      idp,
      `[sso]
issuer = "${idp.issuer}"
client_id = "${idp.clients.public.id}"

[sso.lab]
issuer = "${g.issuer}"
client_id = "${g.clients.public.id}"
scopes = ["openid", "profile", "email", "offline_access"]

[envs.app]
base_url = "${idp.apiUrl}"
[envs.app.auth]
type = "sso"

[envs.lab]
sso = "lab"
[envs.lab.auth]
type = "sso"

[envs.svc]
requires_sso = true
sso = "lab"
[envs.svc.auth]
type = "client_credentials"
issuer = "${idp.issuer}"
client_id = "${idp.clients.basic.id}"
client_secret_env = "SVC_SECRET"
`,
      { LMI_KEYRING: "file", CI: "true" },
    );
    const status = async () => {
      const r = await box.run(["auth", "status", "--json"]);
      const doc = JSON.parse(r.stdout);
      return {
        code: r.code,
        providers: doc.sso_providers.map((p: { name: string; signed_in: boolean }) => [
          p.name,
          p.signed_in,
        ]),
      };
    };

    await t.step("lmi login sso --device: the dev IdP, the default provider", async () => {
      const login = await signInWithoutTerminal(
        ["login", "sso", "--device", "--timeout", "60s"],
        box.env,
        box.home,
        deviceSignInAs(idp.users.alice),
      );
      assertEquals(await login.status, 0, login.stderr());
      assertMatch(login.stderr(), new RegExp(`Signed in to ${idp.issuer} as alice@example\\.com`));
      assertEquals(await status(), {
        code: 1,
        providers: [["default", true], ["lab", false]],
      });
      const svc = await box.run(["auth", "token", "-e", "svc"]);
      assertEquals(svc.code, 4, "requires_sso with sso = lab: lab's session is needed");
      assertMatch(svc.stderr, /not signed in: run `lmi login sso lab`/);
    });
    await t.step("lmi login sso lab --device: glewlwyd, in its own login app", async () => {
      const login = await signInWithoutTerminal(
        ["login", "sso", "lab", "--device", "--timeout", "60s"],
        box.env,
        box.home,
        (page) => g.login(page),
      );
      assertEquals(await login.status, 0, login.stderr());
      assertMatch(login.stderr(), /Signed in to lab \(.*\) as alice@example\.test/);
    });
    await t.step("auth status shows both sessions, exit 0", async () => {
      assertEquals(await status(), { code: 0, providers: [["default", true], ["lab", true]] });
      const text = await box.run(["auth", "status"]);
      assertMatch(
        text.stdout,
        new RegExp(`^SSO ${idp.issuer}: signed in as alice@example\\.com`, "m"),
      );
      assertMatch(text.stdout, /^SSO lab \(.*\): signed in as alice@example\.test/m);
      assertMatch(text.stdout, /^env lab \(sso\): uses the SSO session of lab$/m);
    });
    await t.step("each env uses its provider's session", async () => {
      const app = await box.run(["auth", "token", "-e", "app"]);
      assertEquals(app.code, 0, app.stderr);
      assertEquals(jwtClaims(app.stdout.trim()).iss, idp.issuer);
      const lab = await box.run(["auth", "token", "-e", "lab"]);
      assertEquals(lab.code, 0, lab.stderr);
      assertEquals(jwtClaims(lab.stdout.trim()).iss, g.issuer);
      const who = await box.run(["request", "-e", "app", "/whoami"]);
      assertEquals(who.code, 0, who.stderr);
      assertEquals(JSON.parse(who.stdout).sub, idp.users.alice.sub);
      assertEquals((await box.run(["auth", "token", "-e", "svc"])).code, 0, "requires_sso");
    });
    await t.step("the library: createClient({ env }) follows the env's provider", async () => {
      const script = join(box.dir, "tokens.ts");
      await Deno.writeTextFile(
        script,
        `import { createClient } from ${MOD};
const out = {};
for (const env of ["app", "lab"]) out[env] = await (await createClient({ env })).token();
console.log(JSON.stringify(out));
`,
      );
      const r = await runDeno(libraryScriptArgs(script, "--allow-net=127.0.0.1"), box);
      assertEquals(r.code, 0, r.stderr);
      const tokens = JSON.parse(r.stdout);
      assertEquals(jwtClaims(tokens.app).iss, idp.issuer);
      assertEquals(jwtClaims(tokens.lab).iss, g.issuer);
    });
    await t.step("lmi logout sso lab: lab signed out, the default provider kept", async () => {
      const out = await box.run(["logout", "sso", "lab"]);
      assertEquals(out.code, 0, out.stderr);
      assertMatch(out.stderr, /Signed out of lab \(/);
      assertNotIncludes(out.stderr, idp.issuer);
      assertEquals(await status(), { code: 1, providers: [["default", true], ["lab", false]] });
      const lab = await box.run(["auth", "token", "-e", "lab"]);
      assertEquals(lab.code, 4, lab.stderr);
      assertMatch(lab.stderr, /not signed in: run `lmi login sso lab`/);
      assertEquals((await box.run(["auth", "token", "-e", "app"])).code, 0, "still signed in");
    });
    await t.step("lmi logout sso --all: the default provider too", async () => {
      const out = await box.run(["logout", "sso", "--all"]);
      assertEquals(out.code, 0, out.stderr);
      assertMatch(out.stderr, new RegExp(`Signed out of ${idp.issuer}\n`));
      assertMatch(out.stderr, /Not signed in to lab \(/);
      assertEquals(await status(), { code: 1, providers: [["default", false], ["lab", false]] });
    });
  },
});
