/** `auth.type = "command"`: a credential process prints the token. */
import { assertEquals, assertMatch } from "../helpers/assert.ts";
import { sandbox } from "../helpers/cli.ts";
import { ignoreUnless, SH } from "../helpers/components.ts";

const NAME = "auth.type command: raw and JSON output, failures";

Deno.test({ name: NAME, ignore: ignoreUnless(NAME, SH, { commands: ["true"] }) }, async (t) => {
  await using box = await sandbox();
  const exp = new Date(Date.now() + 3600_000).toISOString();
  await box.writeConfig(`[envs.raw.auth]
type = "command"
command = ["sh", "-c", "echo helper says hi >&2; echo opaque-token-from-helper"]
[envs.json.auth]
type = "command"
command = ["sh", "-c", "echo '{\\"access_token\\": \\"json-token\\", \\"expires_at\\": \\"${exp}\\"}'"]
[envs.fails.auth]
type = "command"
command = ["sh", "-c", "echo 'not logged in to corp-auth' >&2; exit 3"]
[envs.missing.auth]
type = "command"
command = ["no-such-credential-helper-lmi"]
[envs.empty.auth]
type = "command"
command = ["true"]
`);
  await t.step("raw token on stdout; the helper's stderr reaches the user", async () => {
    const r = await box.run(["auth", "token", "-e", "raw"]);
    assertEquals([r.code, r.stdout], [0, "opaque-token-from-helper\n"]);
    assertMatch(r.stderr, /helper says hi/);
  });
  await t.step("JSON with access_token and expires_at", async () => {
    const r = await box.run(["auth", "token", "-e", "json", "--format", "json"]);
    assertEquals(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assertEquals([doc.access_token, doc.expires_at], ["json-token", exp]);
  });
  await t.step("a failing helper is exit 4; a missing one exit 3; no token exit 4", async () => {
    const fails = await box.run(["auth", "token", "-e", "fails"]);
    assertEquals(fails.code, 4);
    assertMatch(fails.stderr, /not logged in to corp-auth/);
    assertMatch(fails.stderr, /lmi: error: auth.command "sh" exited with 3/);
    assertEquals((await box.run(["auth", "token", "-e", "missing"])).code, 3);
    assertEquals((await box.run(["auth", "token", "-e", "empty"])).code, 4);
  });
});
