/**
 * The env client's API token in memory: kept while it outlives the refresh margin (no cache
 * read per request), dropped on a 401, and near its expiry taken from the cache again, where
 * another process's renewal is found. Injected clock, fetch and cache folder; no network.
 */
import { assertEquals } from "../helpers/assert.ts";
import { join } from "node:path";
import { parseConfigText } from "../../src/config/load.ts";
import { resolveNamedEnv } from "../../src/config/resolve.ts";
import { envClient } from "../../src/client.ts";
import { type FakeDeps, fakeDeps, testLogger } from "../helpers/fakes.ts";

const TOML = `[envs.dev]
base_url = "https://api.example/v1"
[envs.dev.auth]
type = "client_credentials"
token_url = "https://idp.example/token"
client_id = "svc"
refresh_margin = "60s"
`;

interface World {
  dir: string;
  /** The lifetime of the tokens the IdP issues, seconds. */
  expiresIn: number;
  /** Token requests the IdP answered, and the Authorization of each API request. */
  tokens: number;
  api: string[];
  /** The API answers 401 to these tokens. */
  refuse: Set<string>;
  /** A client for env "dev" with its own deps object (its own process, as far as lmi knows). */
  client(): Promise<{ deps: FakeDeps; client: ReturnType<typeof envClient> }>;
  [Symbol.asyncDispose](): Promise<void>;
}

async function world(): Promise<World> {
  const dir = await Deno.makeTempDir();
  const file = await parseConfigText(TOML, join(dir, "lmi.toml"));
  const w: World = {
    dir,
    expiresIn: 3600,
    tokens: 0,
    api: [],
    refuse: new Set(),
    async client() {
      const deps = fakeDeps({
        fetch,
        cwd: dir,
        env: { LMI_CACHE_DIR: join(dir, "cache"), LMI_DEV_CLIENT_SECRET: "sek" },
      });
      const env = await resolveNamedEnv(deps, {
        path: join(dir, "lmi.toml"),
        dotenvDirs: [dir],
        file,
      }, "dev");
      return { deps, client: envClient(env, { deps, log: testLogger(deps) }) };
    },
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
  const fetch: typeof globalThis.fetch = (input, init) => {
    const req = new Request(input, init);
    if (req.url === "https://idp.example/token") {
      w.tokens++;
      return Promise.resolve(Response.json({
        access_token: `at-${w.tokens}`,
        token_type: "Bearer",
        expires_in: w.expiresIn,
      }));
    }
    const auth = req.headers.get("authorization") ?? "";
    w.api.push(auth);
    const refused = w.refuse.has(auth.replace(/^Bearer /, ""));
    return Promise.resolve(new Response(refused ? "no" : "ok", { status: refused ? 401 : 200 }));
  };
  return w;
}

async function get(client: ReturnType<typeof envClient>, path = "/items"): Promise<number> {
  const res = await client.fetch(path);
  await res.body?.cancel();
  return res.status;
}

Deno.test("the env client keeps its API token in memory while it is fresh", async (t) => {
  await using w = await world();
  const a = await w.client();

  await t.step("one token for many requests", async () => {
    for (let i = 0; i < 5; i++) assertEquals(await get(a.client), 200);
    assertEquals(w.tokens, 1);
    assertEquals(new Set(w.api), new Set(["Bearer at-1"]));
  });

  await t.step("the cache file is not read again while the token is fresh", async () => {
    // Another process (its own deps object) renews: the cache now holds at-2.
    const b = await w.client();
    assertEquals((await b.client.token({ force: true })).accessToken, "at-2");
    a.deps.clock.now += 3000 * 1000; // 600 s left: still more than the 60 s margin
    w.api.length = 0;
    assertEquals(await get(a.client), 200);
    assertEquals(w.api, ["Bearer at-1"]);
  });

  await t.step("near expiry the cache is asked again (under the usual rules)", async () => {
    a.deps.clock.now += 541 * 1000; // at-1 has 59 s left, and so has at-2 (obtained with it)
    w.api.length = 0;
    assertEquals(await get(a.client), 200);
    assertEquals([w.tokens, w.api], [3, ["Bearer at-3"]]);
  });

  await t.step("token() is unchanged: it reads the cache, not the memory", async () => {
    assertEquals((await a.client.token()).accessToken, "at-3");
    assertEquals((await a.client.token({ force: true })).accessToken, "at-4");
    w.api.length = 0;
    assertEquals(await get(a.client), 200);
    assertEquals(w.api, ["Bearer at-3"], "the request keeps its fresh token in memory");
  });

  await t.step("a 401 drops the token: one new token, one retry", async () => {
    w.refuse.add("at-3");
    w.api.length = 0;
    assertEquals(await get(a.client), 200);
    // The cache held at-4 (from token({ force })): used without a token request.
    assertEquals([w.tokens, w.api], [4, ["Bearer at-3", "Bearer at-4"]]);
    w.api.length = 0;
    assertEquals(await get(a.client), 200);
    assertEquals(w.api, ["Bearer at-4"]);
  });
});

Deno.test("near expiry, a renewal by another process is picked up from the cache", async () => {
  await using w = await world();
  const a = await w.client();
  const b = await w.client();
  assertEquals(await get(a.client), 200); // at-1, kept by a
  // Later, another process renews (its clock is the same time): the cache holds at-2.
  a.deps.clock.now += 3541 * 1000;
  b.deps.clock.now += 3541 * 1000;
  assertEquals((await b.client.token({ force: true })).accessToken, "at-2");
  w.api.length = 0;
  assertEquals(await get(a.client), 200);
  assertEquals([w.tokens, w.api], [2, ["Bearer at-2"]], "no token request of a's own");
});

Deno.test("a held token of an SSO-bound env is re-checked against the session within seconds", async () => {
  const { ssoReuseUntil, SESSION_RECHECK_MS } = await import("../../src/tokens/acquire.ts");
  const { SSO_REFRESH_MARGIN_MS } = await import("../../src/sso/sso.ts");
  const now = Date.parse("2026-12-01T12:00:00Z");
  const obtained_at = "2026-12-01T11:00:00Z";
  // A session valid for hours: a sign-out elsewhere still reaches the client within 5 s.
  assertEquals(
    await ssoReuseUntil({ expires_at: "2026-12-01T20:00:00Z", obtained_at }, now),
    now + SESSION_RECHECK_MS,
  );
  // A session about to end: held no longer than the session may be relied on.
  const soon = new Date(now + SSO_REFRESH_MARGIN_MS + 1_000).toISOString();
  assertEquals(await ssoReuseUntil({ expires_at: soon, obtained_at }, now), now + 1_000);
});

Deno.test("a token shorter-lived than twice the margin is held for half its lifetime", async () => {
  await using w = await world();
  w.expiresIn = 30; // refresh_margin = "60s"
  const a = await w.client();
  assertEquals(await get(a.client), 200);
  // Another process renews at once: the cache holds at-2, which a read of it would give.
  const b = await w.client();
  assertEquals((await b.client.token({ force: true })).accessToken, "at-2");
  for (let i = 0; i < 4; i++) {
    a.deps.clock.now += 3_000;
    assertEquals(await get(a.client), 200);
  }
  assertEquals(w.tokens, 2, "no token request of a's own");
  assertEquals(w.api, Array(5).fill("Bearer at-1"), "12 s on, at-1 is still held in memory");
  a.deps.clock.now += 3_000; // 15 s after they were obtained: both are due for renewal
  assertEquals(await get(a.client), 200);
  assertEquals([w.tokens, w.api.at(-1)], [3, "Bearer at-3"]);
});
