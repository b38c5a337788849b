/**
 * The lmi config `deno task dev-idp --write-config` writes (scripts/dev_idp/lmi_config.ts): a
 * lmi.toml lmi accepts, whose every `*_env` the .env beside it sets, with no secret in the toml;
 * and writing it into a folder, where nothing different is ever overwritten.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { ignoreUnless, POSIX_MODES } from "../helpers/components.ts";
import { parseConfigText } from "../../src/config/load.ts";
import { parseDotenv } from "../../src/config/dotenv_parse.ts";
import {
  type ConfigSource,
  FileExistsError,
  lmiConfigFiles,
  writeLmiConfig,
} from "../../scripts/dev_idp/lmi_config.ts";

const PEM = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\nByqGSM49AwEH\n-----END PRIVATE KEY-----\n";

const SOURCE: ConfigSource = {
  issuer: "http://127.0.0.1:9400",
  apiUrl: "http://127.0.0.1:9401",
  clients: {
    basic: { id: "svc-basic", secret: "basic-secret" },
    post: { id: "svc-post", secret: "post-secret" },
    password: { id: "pw-client", secret: "pw-secret" },
    public: { id: "lmi", redirectUri: "http://127.0.0.1/callback" },
    workload: { id: "ci-workload" },
  },
  jwtClient: { id: "svc-jwt", privateKeyPem: PEM },
  federatedClient: { id: "svc-federated" },
  user: { username: "alice", password: "alice-password" },
  ciTokens: { requestUrl: "http://127.0.0.1:9402/token?api-version=2.0", requestToken: "req-tok" },
};

Deno.test("dev IdP config: a lmi.toml lmi accepts, with its secrets in .env", async (t) => {
  const files = lmiConfigFiles(SOURCE);
  const config = await parseConfigText(files.toml, "/tutorial/lmi.toml");
  const vars = parseDotenv(files.dotenv);

  await t.step("an env per grant, each calling the API; [sso] for the sign-ins", () => {
    assertEquals(files.envs, [
      "dev",
      "post",
      "jwt",
      "password",
      "sso",
      "exchange",
      "jwt-bearer",
      "federated",
    ]);
    assertEquals(Object.keys(config.envs), files.envs);
    assertEquals(config.default_env, "dev");
    for (const env of Object.values(config.envs)) assertEquals(env.base_url, SOURCE.apiUrl);
    assertEquals(config.sso?.default?.issuer, SOURCE.issuer);
    assertEquals(config.sso?.default?.client_id, "lmi");
    const auth = (name: string) => config.envs[name]!.auth!;
    assertEquals(auth("dev").client_auth, "client_secret_basic");
    assertEquals(auth("post").client_auth, "client_secret_post");
    assertEquals(auth("jwt").client_auth, "private_key_jwt");
    assertEquals(auth("password").type, "password");
    assertEquals(auth("sso").type, "sso");
    assertEquals(auth("exchange").type, "token_exchange");
    assertEquals(auth("jwt-bearer").type, "jwt_bearer");
    assertEquals(auth("federated").client_auth, "federated_jwt");
  });

  await t.step(".env sets every variable the toml names; the toml holds no secret", () => {
    for (const env of Object.values(config.envs)) {
      const { client_secret_env, private_key_env, username_env, password_env } = env.auth!;
      for (const name of [client_secret_env, private_key_env, username_env, password_env]) {
        if (name !== undefined) assert(vars[name], `${name} is set in .env`);
      }
    }
    assertEquals(vars.SVC_JWT_PRIVATE_KEY, PEM, "the PEM survives .env quoting");
    assertEquals(vars.ALICE_USERNAME, "alice");
    assertEquals(vars.ACTIONS_ID_TOKEN_REQUEST_URL, SOURCE.ciTokens.requestUrl);
    for (
      const secret of ["basic-secret", "post-secret", "pw-secret", "alice-password", "req-tok"]
    ) {
      assert(!files.toml.includes(secret), `${secret} is not in the toml`);
    }
    assert(!files.toml.includes("PRIVATE KEY"));
  });
});

Deno.test("dev IdP config: written into a folder, never over a different file", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "lmi-dev-idp-config-" });
  try {
    const dir = join(root, "new", "folder");
    const files = lmiConfigFiles(SOURCE);

    await t.step("a missing folder is made; both files written", async () => {
      const written = await writeLmiConfig(dir, files);
      assertEquals(written, {
        toml: join(dir, "lmi.toml"),
        dotenv: join(dir, ".env"),
        changed: true,
      });
      assertEquals(await Deno.readTextFile(written.toml), files.toml);
      assertEquals(await Deno.readTextFile(written.dotenv), files.dotenv);
    });

    await t.step({
      name: ".env is mode 0600",
      ignore: ignoreUnless(".env is mode 0600", POSIX_MODES),
      fn: async () => assertEquals((await Deno.stat(join(dir, ".env"))).mode! & 0o777, 0o600),
    });

    await t.step("the same files again: kept as they are", async () => {
      assertEquals((await writeLmiConfig(dir, files)).changed, false);
    });

    await t.step("another IdP's config: refused, neither file touched", async () => {
      const other = lmiConfigFiles({ ...SOURCE, issuer: "http://127.0.0.1:9500" });
      const err = await assertRejects(() => writeLmiConfig(dir, other), FileExistsError);
      assertEquals(err.path, join(dir, "lmi.toml"));
      assertEquals(await Deno.readTextFile(join(dir, "lmi.toml")), files.toml);
    });

    await t.step(
      "a .env of its own beside a missing lmi.toml: refused, nothing written",
      async () => {
        const mine = join(root, "mine");
        await Deno.mkdir(mine);
        await Deno.writeTextFile(join(mine, ".env"), "MY_VAR=1\n");
        const err = await assertRejects(() => writeLmiConfig(mine, files), FileExistsError);
        assertEquals(err.path, join(mine, ".env"));
        assertEquals([...Deno.readDirSync(mine)].map((e) => e.name), [".env"]);
      },
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
