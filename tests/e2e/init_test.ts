/**
 * `lmi init` end to end: the real program (deno.json's permission set) against the real dev IdP
 * (oidc-provider), in a fresh folder on a machine that trusts nothing (LMI_TRUSTED_PATHS empty).
 * The config it writes works at once, with no `lmi trust` step, because lmi recorded it as
 * trusted as written; an sso env it adds gets as far as the IdP's device authorization.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { sandbox } from "../helpers/cli.ts";
import { startDevIdp } from "../../scripts/dev_idp/mod.ts";
import { trustFilePath } from "../../src/config/paths.ts";
import { sha256Hex } from "../../src/util/sha256.ts";

Deno.test("lmi init against the dev IdP: a config that works without lmi trust", async (t) => {
  await using idp = await startDevIdp();
  await using box = await sandbox({ LMI_TRUSTED_PATHS: "", LMI_KEYRING: "file" });
  const project = join(box.home, "project");
  await Deno.mkdir(project);
  const config = join(project, "lmi.toml");
  const run = (args: string[], env: Record<string, string> = {}) =>
    box.run(args, { cwd: project, env });

  await t.step(
    "client_credentials: written, recorded as trusted, and lmi auth token works",
    async () => {
      const r = await run([
        "init",
        "--issuer",
        idp.issuer,
        "--client-id",
        idp.clients.basic.id,
        "--type",
        "client_credentials",
        "--base-url",
        idp.apiUrl,
        "--env",
        "dev",
      ]);
      assertEquals([r.code, r.stdout], [0, ""], r.stderr);
      assertStringIncludes(r.stderr, `Wrote env "dev" (client_credentials at ${idp.issuer}`);
      assertMatch(r.stderr, /\n {2}export LMI_DEV_CLIENT_SECRET=… +# the client secret\n/);
      assertMatch(r.stderr, /\n {2}lmi login --env dev +# checks it all\n$/);

      const bytes = await Deno.readFile(config);
      const trustFile = trustFilePath({ env: (n) => box.env[n], os: Deno.build.os })!;
      const trust = JSON.parse(await Deno.readTextFile(trustFile));
      assertEquals(
        trust.files.map((f: { path: string; sha256: string }) => [f.path, f.sha256]),
        [[config, sha256Hex(bytes)]],
      );

      const token = await run(["auth", "token", "--env", "dev"], {
        LMI_DEV_CLIENT_SECRET: idp.clients.basic.secret,
      });
      assertEquals(token.code, 0, token.stderr);
      assertMatch(token.stdout, /^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
      const status = await run(["auth", "status", "--env", "dev"]);
      assertEquals(status.code, 0, status.stderr);
      // --base-url: lmi request PATH goes to the API, with the token.
      const api = await run(["request", "/whoami", "--env", "dev"], {
        LMI_DEV_CLIENT_SECRET: idp.clients.basic.secret,
      });
      assertEquals(api.code, 0, api.stderr);
      assertMatch(api.stdout, /"client_id":"svc-basic"/);
    },
  );

  await t.step(
    "sso: appended; env show resolves it and login sso --device reaches the IdP",
    async () => {
      const before = await Deno.readTextFile(config);
      const r = await run([
        "init",
        "--issuer",
        idp.issuer,
        "--client-id",
        idp.clients.public.id,
        "--type",
        "sso",
        "--env",
        "web",
      ]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stderr, /\n {2}lmi login sso\n/);
      const after = await Deno.readTextFile(config);
      assert(after.startsWith(before), "the file above is kept");

      const show = await run(["env", "show", "web", "--json"]);
      assertEquals(show.code, 0, show.stderr);
      assertStringIncludes(show.stdout, '"sso"');

      const login = await run(["login", "sso", "--device", "--timeout", "2s"]);
      assertStringIncludes(
        login.stderr,
        `To sign in, visit ${idp.issuer}/device and enter the code`,
      );
      assertEquals(login.code, 4, "nobody signed in within --timeout");
    },
  );

  await t.step("an untrusted lmi.toml is not extended (exit 3)", async () => {
    const stranger = join(box.home, "cloned");
    await Deno.mkdir(stranger);
    await Deno.writeTextFile(join(stranger, "lmi.toml"), "[envs.x]\n");
    const r = await box.run(
      ["init", "--issuer", idp.issuer, "--client-id", "x", "--type", "sso"],
      { cwd: stranger },
    );
    assertEquals(r.code, 3, r.stderr);
    assertMatch(r.stderr, /lmi: error: .*lmi\.toml is not trusted/);
    assertEquals(await Deno.readTextFile(join(stranger, "lmi.toml")), "[envs.x]\n");
  });
});
