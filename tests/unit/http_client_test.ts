/** The authenticated fetch with an injected fetch and clock: no network, no sleeping. */
import { assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { createAuthedFetch, type TokenSource } from "../../src/http/client.ts";
import type { ResolvedEnv } from "../../src/config/resolve.ts";
import { NetworkError } from "../../src/errors.ts";
import { fakeDeps, testLogger } from "../helpers/fakes.ts";

interface Seen {
  method: string;
  url: string;
  authorization: string | null;
  tenant: string | null;
  body: string;
}

function env(overrides: Partial<ResolvedEnv> = {}): ResolvedEnv {
  return {
    name: "dev",
    definedBy: "file",
    baseUrl: "https://api.example/v1",
    ssoProvider: "default",
    requiresSso: false,
    timeoutMs: 1000,
    retries: 2,
    headers: { "X-Tenant": "acme" },
    auth: {
      type: "client_credentials",
      clientAuth: "client_secret_basic",
      scopes: [],
      extraParams: {},
      refreshMarginMs: 60_000,
      verifyAccessToken: "auto",
    },
    sources: {},
    ...overrides,
  };
}

function world(answer: (seen: Seen, n: number) => Response | Promise<Response>, e = env()) {
  const seen: Seen[] = [];
  const sleeps: number[] = [];
  const deps = fakeDeps({
    fetch: async (input, init) => {
      const req = new Request(input, init);
      const s = {
        method: req.method,
        url: req.url,
        authorization: req.headers.get("authorization"),
        tenant: req.headers.get("x-tenant"),
        body: await req.text(),
      };
      seen.push(s);
      return answer(s, seen.length);
    },
  });
  deps.sleep = (ms) => {
    sleeps.push(ms);
    return Promise.resolve();
  };
  let tokens = 0;
  const rejected: string[] = [];
  const token: TokenSource = ({ rejectedToken }) => {
    if (rejectedToken) rejected.push(rejectedToken);
    if (rejectedToken || tokens === 0) tokens++;
    return Promise.resolve({ accessToken: `tok-${tokens}`, tokenType: "bearer", obtainedAt: 0 });
  };
  const fetch = createAuthedFetch({
    env: e,
    deps: { ...deps, random: () => 0.5 },
    log: testLogger(deps),
    token,
  });
  return { fetch, seen, sleeps, rejected, deps };
}

Deno.test("401: one new token, one retry", async (t) => {
  await t.step("401 once, then success", async () => {
    const w = world((_, n) => new Response(n === 1 ? "no" : "ok", { status: n === 1 ? 401 : 200 }));
    const res = await w.fetch("/users", { method: "POST", body: "payload" });
    assertEquals([res.status, await res.text()], [200, "ok"]);
    assertEquals(w.seen.map((s) => s.authorization), ["Bearer tok-1", "Bearer tok-2"]);
    assertEquals(w.seen.map((s) => s.body), ["payload", "payload"]);
    assertEquals(w.rejected, ["tok-1"]);
  });
  await t.step("a second 401 is returned to the caller", async () => {
    const w = world(() => new Response("no", { status: 401 }));
    assertEquals((await w.fetch("/users")).status, 401);
    assertEquals(w.seen.length, 2);
  });
  await t.step("a streamed body is not replayed", async () => {
    const w = world(() => new Response("no", { status: 401 }));
    const stream = new Response("streamed").body!;
    assertEquals((await w.fetch("/upload", { method: "PUT", body: stream })).status, 401);
    assertEquals(w.seen.length, 1);
    assertMatch(w.deps.stderr.text(), /not retried .* stream that cannot be replayed/);
  });
});

Deno.test("retries: idempotent methods on 429/502/503/504, Retry-After honoured", async (t) => {
  await t.step("GET 503 with Retry-After: 1 is retried after 1 s", async () => {
    const w = world((_, n) =>
      new Response("", { status: n === 1 ? 503 : 200, headers: { "retry-after": "1" } })
    );
    assertEquals((await w.fetch("/x")).status, 200);
    assertEquals(w.sleeps, [1000]);
  });
  await t.step("POST 503 is not retried", async () => {
    const w = world(() => new Response("", { status: 503 }));
    assertEquals((await w.fetch("/x", { method: "POST", body: "{}" })).status, 503);
    assertEquals(w.seen.length, 1);
  });
  await t.step("backoff with jitter, at most `retries` times", async () => {
    const w = world(() => new Response("", { status: 502 }));
    assertEquals((await w.fetch("/x")).status, 502);
    assertEquals(w.seen.length, 3);
    assertEquals(w.sleeps, [125, 250]);
  });
  await t.step("connection resets on GET are retried", async () => {
    const w = world((_, n) => {
      if (n === 1) throw new TypeError("error sending request: connection reset by peer");
      return new Response("ok");
    });
    assertEquals((await w.fetch("/x")).status, 200);
  });
});

Deno.test("credentials go only to base_url's origin", async (t) => {
  await t.step("another origin gets neither the token nor the env headers", async () => {
    const w = world(() => new Response("ok"));
    await w.fetch("https://elsewhere.example/x");
    assertEquals([w.seen[0]!.authorization, w.seen[0]!.tenant], [null, null]);
    await w.fetch("https://api.example/other");
    assertEquals([w.seen[1]!.authorization, w.seen[1]!.tenant], ["Bearer tok-1", "acme"]);
  });
  await t.step("a redirect to another origin drops Authorization", async () => {
    const w = world((s) =>
      s.url.startsWith("https://api.example")
        ? new Response(null, { status: 302, headers: { location: "https://cdn.example/file" } })
        : new Response("file")
    );
    const res = await w.fetch("/download");
    assertEquals(await res.text(), "file");
    assertEquals(w.seen.map((s) => s.authorization), ["Bearer tok-1", null]);
  });
  await t.step(
    "another origin's 401 after a redirect is its answer, not about the token",
    async () => {
      const w = world((s) =>
        s.url.startsWith("https://api.example")
          ? new Response(null, { status: 307, headers: { location: "https://cdn.example/file" } })
          : new Response("sign in here", {
            status: 401,
            headers: {
              "www-authenticate": 'Bearer error="insufficient_user_authentication", acr_values="x"',
            },
          })
      );
      const res = await w.fetch("/download");
      assertEquals([res.status, await res.text()], [401, "sign in here"]);
      assertEquals(w.seen.map((s) => s.authorization), ["Bearer tok-1", null]);
      assertEquals(w.rejected, []);
    },
  );
});

Deno.test("a request that outlives the timeout is a network error naming the URL", async () => {
  const deps = fakeDeps({
    fetch: (_input, init) =>
      new Promise((_, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal!.reason))
      ),
  });
  const fetch = createAuthedFetch({ env: env({ timeoutMs: 50 }), deps, log: testLogger(deps) });
  const err = await assertRejects(() => fetch("/slow"), NetworkError);
  assertMatch(err.message, /request to https:\/\/api\.example\/v1\/slow timed out after 50ms/);
});
