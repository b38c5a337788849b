/**
 * Service token logic with an injected clock and fetch: caching, refresh margin, --min-ttl,
 * refresh before re-acquiring, fingerprint misses, corrupt files. No sleeping, no network.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { join } from "node:path";
import { parseConfigText } from "../../src/config/load.ts";
import { resolveNamedEnv } from "../../src/config/resolve.ts";
import { AuthError, NetworkError } from "../../src/errors.ts";
import { getServiceToken } from "../../src/tokens/service.ts";
import { fakeDeps, testLogger } from "../helpers/fakes.ts";
import { ignoreUnless, POSIX_MODES } from "../helpers/components.ts";

interface FakeIdp {
  fetch: typeof globalThis.fetch;
  requests: URLSearchParams[];
  respond?: (params: URLSearchParams, n: number) => Response;
}

function fakeIdp(expiresIn = 3600): FakeIdp {
  const idp: FakeIdp = {
    requests: [],
    fetch: async (input, init) => {
      const req = new Request(input, init);
      const params = new URLSearchParams(await req.text());
      idp.requests.push(params);
      const n = idp.requests.length;
      if (idp.respond) return idp.respond(params, n);
      const grant = params.get("grant_type");
      return Response.json({
        access_token: `at-${n}`,
        token_type: "bearer",
        expires_in: expiresIn,
        ...(grant === "password" || grant === "refresh_token" ? { refresh_token: `rt-${n}` } : {}),
      });
    },
  };
  return idp;
}

async function setup(toml: string, extraEnv: Record<string, string> = {}) {
  const dir = await Deno.makeTempDir();
  const idp = fakeIdp();
  const deps = fakeDeps({
    fetch: idp.fetch,
    cwd: dir,
    env: {
      LMI_CACHE_DIR: dir,
      LMI_DEV_CLIENT_SECRET: "sek",
      LMI_DEV_USERNAME: "u",
      LMI_DEV_PASSWORD: "p",
      ...extraEnv,
    },
  });
  const file = await parseConfigText(toml, join(dir, "lmi.toml"));
  const config = { path: join(dir, "lmi.toml"), dotenvDirs: [dir], file };
  const env = () => resolveNamedEnv(deps, config, "dev");
  const log = testLogger(deps, 1);
  const get = async (options = {}) => getServiceToken(await env(), { deps, log }, options);
  return {
    dir,
    idp,
    deps,
    get,
    config,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

const CC = `[envs.dev.auth]
type = "client_credentials"
token_url = "https://idp.example/token"
client_id = "svc"
scopes = ["api.read"]
refresh_margin = "60s"
`;

Deno.test("a cached token is reused until it nears expiry", async (t) => {
  await using s = await setup(CC);
  await t.step("first call acquires and caches", async () => {
    const r = await s.get();
    assertEquals([r.from, r.token.accessToken, r.cached], ["grant", "at-1", true]);
    assertEquals(s.idp.requests[0]!.get("grant_type"), "client_credentials");
    assertEquals(s.idp.requests[0]!.get("scope"), "api.read");
  });
  await t.step("within the lifetime, minus the margin, the cache answers", async () => {
    s.deps.clock.now += (3600 - 61) * 1000;
    const r = await s.get();
    assertEquals([r.from, r.token.accessToken], ["cache", "at-1"]);
    assertEquals(s.idp.requests.length, 1);
  });
  await t.step("inside the refresh margin a new token is acquired", async () => {
    s.deps.clock.now += 2000;
    const r = await s.get();
    assertEquals([r.from, r.token.accessToken], ["grant", "at-2"]);
  });
  await t.step("--min-ttl longer than what is left forces renewal", async () => {
    s.deps.clock.now += 60_000;
    assertEquals((await s.get({ minTtlMs: 30 * 60_000 })).from, "cache");
    assertEquals((await s.get({ minTtlMs: 3590 * 1000 })).token.accessToken, "at-3");
  });
  await t.step("--force ignores the cache", async () => {
    assertEquals((await s.get({ force: true })).token.accessToken, "at-4");
  });
});

Deno.test("a token shorter-lived than twice the margin is reused for half its lifetime", async (t) => {
  await using s = await setup(CC); // refresh_margin = "60s"
  s.idp.respond = (_params, n) =>
    Response.json({ access_token: `at-${n}`, token_type: "bearer", expires_in: 30 });
  const note =
    /the token for env "dev" was issued for 30s, less than twice refresh_margin \(1m00s\): it is renewed when 15s are left/g;
  await t.step("5 calls within 14 s make one token request", async () => {
    const tokens = [];
    for (let i = 0; i < 5; i++) {
      tokens.push((await s.get()).token.accessToken);
      s.deps.clock.now += 3_000;
    }
    assertEquals(tokens, ["at-1", "at-1", "at-1", "at-1", "at-1"]);
    assertEquals(s.idp.requests.length, 1);
    await s.get(); // 15 s after it was obtained: half its lifetime is left
    assertEquals(s.idp.requests.length, 2);
  });
  await t.step("-v says once per token use that the margin was shortened", () => {
    assertEquals(s.deps.stderr.text().match(note)?.length, 6, s.deps.stderr.text());
  });
  await t.step("a caller that waited for the lock uses the token the other just got", async () => {
    s.deps.clock.now += 16_000;
    // Both read the cache before either has a token; the second waits for the first's lock.
    const [one, two] = await Promise.all([s.get(), s.get()]);
    assertEquals(s.idp.requests.length, 3);
    assertEquals([one.from, two.from].sort(), ["cache", "grant"], "whichever took the lock first");
    assertEquals(two.token.accessToken, one.token.accessToken);
    assertMatch(s.deps.stderr.text(), /another lmi process got the token for env "dev"; using it/);
  });
  await t.step("--min-ttl longer than the lifetime: a new token, with a warning", async () => {
    const r = await s.get({ minTtlMs: 60_000 });
    assertEquals(r.from, "grant");
    assertMatch(
      s.deps.stderr.text(),
      /less than --min-ttl 1m00s \(the IdP's token lifetime is shorter\)/,
    );
  });
});

Deno.test("a changed config misses the cache (fingerprint)", async () => {
  await using s = await setup(CC);
  await s.get();
  const changed = await parseConfigText(
    CC.replace('["api.read"]', '["api.read", "api.write"]'),
    s.config.path,
  );
  const env = resolveNamedEnv(s.deps, { ...s.config, file: changed }, "dev");
  const r = await getServiceToken(env, { deps: s.deps, log: testLogger(s.deps) });
  assertEquals([r.from, r.token.accessToken], ["grant", "at-2"]);
  assertEquals(s.idp.requests[1]!.get("scope"), "api.read api.write");
});

Deno.test("password grant: refresh first, then the password grant if refresh fails", async (t) => {
  await using s = await setup(CC.replace("client_credentials", "password"));
  await t.step("the password grant sends the username and password", async () => {
    const r = await s.get();
    assertEquals(r.token.refreshToken, "rt-1");
    assertEquals(s.idp.requests[0]!.get("username"), "u");
    assertEquals(s.idp.requests[0]!.get("password"), "p");
  });
  await t.step("near expiry the refresh token is used, and the rotated one kept", async () => {
    s.deps.clock.now += 3590 * 1000;
    const r = await s.get();
    assertEquals(r.from, "refresh");
    assertEquals(s.idp.requests[1]!.get("refresh_token"), "rt-1");
    assertEquals(r.token.refreshToken, "rt-2");
    const cached = JSON.parse(await Deno.readTextFile(join(s.dir, "lmi", "tokens", "dev.json")));
    assertEquals(cached.entries[0].refresh_token, "rt-2");
  });
  await t.step("a rejected refresh falls back to the password grant", async () => {
    s.deps.clock.now += 3590 * 1000;
    s.idp.respond = (params, n) =>
      params.get("grant_type") === "refresh_token"
        ? Response.json({ error: "invalid_grant", error_description: "expired" }, { status: 400 })
        : Response.json({
          access_token: `at-${n}`,
          token_type: "Bearer",
          expires_in: 60 * 60,
          refresh_token: `rt-${n}`,
        });
    const r = await s.get();
    assertEquals(r.from, "grant");
    assertEquals(s.idp.requests.map((p) => p.get("grant_type")).slice(2), [
      "refresh_token",
      "password",
    ]);
  });
});

Deno.test("a corrupt, foreign or widened cache file is a miss with a warning", async (t) => {
  await using s = await setup(CC);
  const file = join(s.dir, "lmi", "tokens", "dev.json");
  await s.get();
  const cases: Array<[string, string]> = [["truncated", '{"version":1,"fingerp'], [
    "not an object",
    "[]",
  ], ["empty", ""]];
  for (const [name, content] of cases) {
    await t.step(name, async () => {
      await Deno.writeTextFile(file, content, { mode: 0o600 });
      const before = s.idp.requests.length;
      const r = await s.get();
      assertEquals(r.from, "grant");
      assertEquals(s.idp.requests.length, before + 1);
      assertMatch(s.deps.stderr.text(), /ignoring a corrupt token cache file/);
      assert(JSON.parse(await Deno.readTextFile(file)).entries[0].access_token.startsWith("at-"));
    });
  }
  const WIDENED = "a file others can read is not trusted";
  await t.step({
    name: WIDENED,
    ignore: ignoreUnless(WIDENED, POSIX_MODES),
    fn: async () => {
      await Deno.chmod(file, 0o644);
      assertEquals((await s.get()).from, "grant");
      assertMatch(s.deps.stderr.text(), /lets others read it/);
      assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
    },
  });
});

Deno.test("IdP failures become typed errors with status and a snippet", async (t) => {
  await using s = await setup(CC);
  await t.step("OAuth error", async () => {
    s.idp.respond = () =>
      Response.json({ error: "invalid_client", error_description: "bad secret" }, { status: 401 });
    const err = await assertRejects(() => s.get(), AuthError);
    assertMatch(err.message, /HTTP 401 invalid_client: bad secret/);
    assertMatch(err.hint!, /LMI_DEV_CLIENT_SECRET/);
  });
  await t.step("500 with HTML", async () => {
    s.idp.respond = () => new Response("<html>upstream exploded</html>", { status: 500 });
    const err = await assertRejects(() => s.get(), AuthError);
    assertMatch(err.message, /HTTP 500 .*upstream exploded/);
  });
  await t.step("malformed JSON", async () => {
    s.idp.respond = () =>
      new Response("{not json", { headers: { "content-type": "application/json" } });
    assertMatch((await assertRejects(() => s.get(), AuthError)).message, /\{not json/);
  });
  await t.step("no access_token", async () => {
    s.idp.respond = () => Response.json({ token_type: "bearer", expires_in: 10 });
    assertMatch((await assertRejects(() => s.get(), AuthError)).message, /access_token/);
  });
  await t.step("unreachable", async () => {
    s.idp.respond = () => {
      throw new TypeError("error sending request: Connection refused");
    };
    const err = await assertRejects(() => s.get(), NetworkError);
    assertMatch(err.message, /cannot reach https:\/\/idp\.example\/token/);
  });
});

Deno.test("plain http to a non-loopback token endpoint is refused", async () => {
  await using s = await setup(CC.replace("https://idp.example/token", "http://idp.example/token"));
  const err = await assertRejects(() => s.get());
  assertMatch((err as Error).message, /refusing to send credentials over plain http/);
  assertEquals(s.idp.requests.length, 0);
});

Deno.test("a token the API refused is replaced once, not by every caller", async () => {
  await using s = await setup(CC);
  assertEquals((await s.get()).token.accessToken, "at-1");
  const renewed = await s.get({ rejectedToken: "at-1" });
  assertEquals([renewed.from, renewed.token.accessToken], ["grant", "at-2"]);
  const other = await s.get({ rejectedToken: "at-1" });
  assertEquals([other.from, other.token.accessToken], ["cache", "at-2"]);
  assertEquals(s.idp.requests.length, 2);
});

Deno.test("in-process single flight: parallel calls share one request and one lock", async () => {
  await using s = await setup(CC);
  const { acquireToken } = await import("../../src/tokens/acquire.ts");
  const env = await resolveNamedEnv(s.deps, s.config, "dev");
  const log = testLogger(s.deps, 1);
  const outcomes = await Promise.all(
    [1, 2, 3].map(() => acquireToken(env, { deps: s.deps, log }, {})),
  );
  assertEquals(s.idp.requests.length, 1);
  assertEquals(new Set(outcomes.map((o) => o.token.accessToken)).size, 1);
  // one call did the work: the others did not queue on the lock and re-read the cache
  assertEquals(outcomes.map((o) => o.from), ["grant", "grant", "grant"]);
  await log.flush();
  assert(!/waiting|another lmi process/.test(s.deps.stderr.text()), s.deps.stderr.text());
  // once settled, the next call is a new one (served from the cache)
  const again = await acquireToken(env, { deps: s.deps, log }, {});
  assertEquals([again.from, s.idp.requests.length], ["cache", 1]);
});

Deno.test("single flight is per client: another deps object makes its own call", async () => {
  await using a = await setup(CC);
  const idpB = fakeIdp();
  const b = fakeDeps({ fetch: idpB.fetch, cwd: a.dir, env: { LMI_CACHE_DIR: `${a.dir}/b` } });
  const { acquireToken } = await import("../../src/tokens/acquire.ts");
  const env = await resolveNamedEnv(a.deps, a.config, "dev");
  const [one, two] = await Promise.all([
    acquireToken(env, { deps: a.deps, log: testLogger(a.deps) }, {}),
    acquireToken(env, { deps: b, log: testLogger(b) }, {}),
  ]);
  assertEquals([one.from, two.from], ["grant", "grant"]);
  assertEquals([a.idp.requests.length, idpB.requests.length], [1, 1], "each client's own fetch");
});

Deno.test("in-process callers with different options wait for each other silently", async () => {
  await using s = await setup(CC);
  const slow: typeof fetch = async (input, init) => {
    await new Promise((r) => setTimeout(r, 1300)); // past the lock's 1 s notice delay
    return s.idp.fetch(input, init);
  };
  const deps = { ...s.deps, fetch: slow };
  const log = testLogger(s.deps, 1);
  const { acquireToken } = await import("../../src/tokens/acquire.ts");
  const env = await resolveNamedEnv(deps, s.config, "dev");
  await Promise.all([
    acquireToken(env, { deps, log }, {}),
    acquireToken(env, { deps, log }, { minTtlMs: 60_000 }),
  ]);
  await log.flush();
  assert(!/waiting for another lmi process/.test(s.deps.stderr.text()), s.deps.stderr.text());
  assertEquals(s.idp.requests.length, 1, "the second found the first one's token");
});

Deno.test("auth status without cached keys: a verified token is 'not checked', not invalid", async () => {
  await using s = await setup(
    CC.replace('token_url = "https://idp.example/token"', 'issuer = "https://idp.example"'),
  );
  const { inspectServiceToken } = await import("../../src/tokens/inspect.ts");
  const { TokenCache } = await import("../../src/tokens/cache.ts");
  const { fingerprint, CACHE_VERSION } = await import("../../src/tokens/token_set.ts");
  const env = await resolveNamedEnv(s.deps, s.config, "dev");
  const jwt = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlIn0.c2ln";
  await Deno.mkdir(join(s.dir, "lmi", "tokens"), { recursive: true });
  await new TokenCache(join(s.dir, "lmi", "tokens"), "dev").write({
    version: CACHE_VERSION,
    fingerprint: await fingerprint(env.auth),
    access_token: jwt,
    token_type: "Bearer",
    expires_at: new Date(s.deps.now() + 3600_000).toISOString(),
    obtained_at: new Date(s.deps.now()).toISOString(),
    verified: true,
  });
  const state = await inspectServiceToken(env, { deps: s.deps, log: testLogger(s.deps) });
  assertEquals([state.state, state.verified], ["valid", false]);
});
