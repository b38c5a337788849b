/** The issuer's JWKS: failures are clean errors, and a changed issuer never uses the old keys. */
import { assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { join } from "../../src/util/path.ts";
import { loadJose } from "../../src/deps.ts";
import { parseConfigText } from "../../src/config/load.ts";
import { resolveNamedEnv } from "../../src/config/resolve.ts";
import { getServiceToken } from "../../src/tokens/service.ts";
import { AuthError } from "../../src/errors.ts";
import { fakeDeps, testLogger } from "../helpers/fakes.ts";

const jose = await loadJose();

/** A fake IdP at `issuer` signing JWT access tokens with its own key; `jwksStatus` breaks its JWKS. */
async function fakeIssuer(issuer: string) {
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
  const jwk = { ...await jose.exportJWK(publicKey), kid: issuer, alg: "ES256" };
  const state = { jwksStatus: 200 };
  const handle = async (url: URL): Promise<Response> => {
    if (url.pathname.endsWith("/.well-known/openid-configuration")) {
      return Response.json({
        issuer,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
      });
    }
    if (url.pathname.endsWith("/jwks")) {
      return state.jwksStatus === 200
        ? Response.json({ keys: [jwk] })
        : new Response("<h1>down</h1>", { status: state.jwksStatus });
    }
    const now = Math.floor(Date.now() / 1000);
    const token = await new jose.SignJWT({ iss: issuer, sub: "svc", iat: now, exp: now + 3600 })
      .setProtectedHeader({ alg: "ES256", kid: issuer })
      .sign(privateKey);
    return Response.json({ access_token: token, token_type: "Bearer", expires_in: 3600 });
  };
  return { issuer, state, handle };
}

Deno.test("JWKS handling", async (t) => {
  const dir = await Deno.makeTempDir();
  const a = await fakeIssuer("https://idp.example/a");
  const b = await fakeIssuer("https://idp.example/b");
  const deps = fakeDeps({
    now: Date.now(),
    env: { LMI_CACHE_DIR: dir, S: "secret" },
    fetch: (input, init) => {
      const url = new URL(new Request(input, init).url);
      return (url.pathname.startsWith("/b") ? b : a).handle(url);
    },
  });
  const get = async (issuer: string) => {
    const file = await parseConfigText(
      `[envs.dev.auth]\ntype = "client_credentials"\nissuer = "${issuer}"\nclient_id = "c"\nclient_secret_env = "S"\n`,
      join(dir, "lmi.toml"),
    );
    const env = resolveNamedEnv(
      deps,
      { path: join(dir, "lmi.toml"), dotenvDirs: [dir], file },
      "dev",
    );
    return await getServiceToken(env, { deps, log: testLogger(deps) });
  };
  await t.step("a JWKS endpoint answering 503 is a clean error (exit 4), not a crash", async () => {
    a.state.jwksStatus = 503;
    const err = await assertRejects(() => get(a.issuer), AuthError);
    assertMatch(
      err.message,
      /the IdP's JWKS at https:\/\/idp\.example\/a\/jwks answered HTTP 503: <h1>down<\/h1>/,
    );
    assertEquals(err.exitCode, 4);
    a.state.jwksStatus = 200;
  });
  await t.step(
    "a changed issuer fetches the new issuer's keys instead of using the cached ones",
    async () => {
      assertEquals((await get(a.issuer)).from, "grant");
      const r = await get(b.issuer);
      assertEquals(r.from, "grant");
      const cached = JSON.parse(
        await Deno.readTextFile(join(dir, "lmi", "tokens", "dev.jwks.json")),
      );
      // both issuers' keys are kept, the newest first (two projects may name an env alike)
      assertEquals(
        cached.issuers.map((e: { config_issuer: string }) => e.config_issuer),
        [b.issuer, a.issuer],
      );
      assertEquals(cached.issuers[0].issuer, b.issuer);
      assertEquals((await get(b.issuer)).from, "cache");
    },
  );
  await Deno.remove(dir, { recursive: true });
});
