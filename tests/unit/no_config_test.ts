/**
 * A run that finds no config at all, in process: the error says where lmi looked (the nearest
 * `lmi.toml` from the current folder up, `LMI_CONFIG`, the user config) and what to do (`--config`,
 * `LMI_CONFIG`, `lmi init`, the `LMI_*` variables), never names an env the user did not name, and
 * `auth status` exits 3. An env from `LMI_*` variables alone still needs no file.
 */
import { assertEquals, assertNotIncludes } from "../helpers/assert.ts";
import { failed, IDP, ok, world } from "../helpers/in_process.ts";
import { join } from "../../src/util/path.ts";

const HINT = "name a config with --config PATH or LMI_CONFIG, write one with lmi init, or define " +
  "an env with LMI_ISSUER (or LMI_TOKEN_URL) and LMI_CLIENT_ID";

Deno.test("no config anywhere: where lmi looked, and the ways to give it one", async (t) => {
  await using w = await world("");
  await Deno.remove(join(w.dir, "lmi.toml"));
  const userConfig = join(w.dir, "home", ".config", "lmi", "config.toml");
  const looked = `no lmi.toml in ${w.dir} and the folders above it, LMI_CONFIG is not set, ` +
    `and no user config at ${userConfig}`;

  await t.step("auth token: exit 3, where lmi looked, no env named", async () => {
    const r = await w.lmi("auth", "token");
    assertEquals(r, failed(3, `no lmi config found: ${looked}`, HINT));
    assertNotIncludes(r.stderr, '"default"');
  });
  await t.step("an env the user named is named", async () => {
    assertEquals(
      await w.lmi("auth", "token", "--env", "dev"),
      failed(3, `unknown env "dev": no lmi config found (${looked})`, HINT),
    );
    w.env.LMI_ENV = "stage";
    assertEquals(
      await w.lmi("request", "/echo"),
      failed(3, `unknown env "stage": no lmi config found (${looked})`, HINT),
    );
    delete w.env.LMI_ENV;
  });
  await t.step("auth status with nothing configured: exit 3, not 0", async () => {
    assertEquals(await w.lmi("auth", "status"), failed(3, `no lmi config found: ${looked}`, HINT));
  });
  await t.step("login sso: the same places, and that SSO needs an [sso] table", async () => {
    assertEquals(
      await w.lmi("login", "sso"),
      failed(
        3,
        `no lmi config found: ${looked}`,
        "name a config with --config PATH or LMI_CONFIG, or write one with lmi init; SSO " +
          "sign-in needs an [sso] table in it",
      ),
    );
  });
  await t.step("an env from LMI_* variables alone needs no file", async () => {
    Object.assign(w.env, {
      LMI_TOKEN_URL: IDP.tokenUrl,
      LMI_CLIENT_ID: IDP.clientId,
      LMI_CLIENT_SECRET: IDP.secret,
    });
    assertEquals(await w.lmi("auth", "token"), ok("at-1\n"));
    const status = await w.lmi("auth", "status");
    assertEquals([status.code, status.stderr], [0, ""]);
    for (const v of ["LMI_TOKEN_URL", "LMI_CLIENT_ID", "LMI_CLIENT_SECRET"]) delete w.env[v];
  });
  await t.step("a config file that defines nothing: named, exit 3, no env named", async () => {
    const path = join(w.dir, "lmi.toml");
    await w.writeConfig("# nothing yet\n");
    assertEquals(
      await w.lmi("auth", "token"),
      failed(
        3,
        `${path} defines no envs`,
        "add an [envs.NAME] table to it, or define an env with LMI_ISSUER (or LMI_TOKEN_URL) " +
          "and LMI_CLIENT_ID",
      ),
    );
    assertEquals(
      await w.lmi("auth", "status"),
      failed(
        3,
        `${path} defines no envs and no [sso]`,
        "add an [envs.NAME] table or an [sso] table to it (lmi init writes a starter config)",
      ),
    );
  });
});
