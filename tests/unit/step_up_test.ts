/**
 * Step-up challenges (RFC 9470 §3, RFC 6750 §3.1): which answers are one, what is kept of them,
 * the hint naming the command that satisfies them for each kind of env, the typed error, and the
 * authenticated fetch throwing it instead of retrying with a new token of the same session.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { createAuthedFetch, type TokenSource } from "../../src/http/client.ts";
import { shellWord } from "../../src/ui/text.ts";
import {
  type StepUpChallenge,
  stepUpChallenge,
  stepUpError,
  stepUpHint,
  StepUpRequiredError,
} from "../../src/http/step_up.ts";
import { StepUpRequiredError as Exported } from "../../src/mod.ts";
import { durationText } from "../../src/config/duration.ts";
import type { ResolvedEnv } from "../../src/config/resolve.ts";
import { AuthError, ExitCode } from "../../src/errors.ts";
import { fakeDeps, testLogger } from "../helpers/fakes.ts";

function env(overrides: Partial<ResolvedEnv> = {}, auth: Partial<ResolvedEnv["auth"]> = {}) {
  const e: ResolvedEnv = {
    name: "dev",
    definedBy: "file",
    ssoProvider: "default",
    baseUrl: "https://api.example",
    requiresSso: false,
    timeoutMs: 1000,
    retries: 0,
    headers: {},
    auth: {
      type: "sso",
      clientAuth: "auto",
      scopes: [],
      extraParams: {},
      refreshMarginMs: 60_000,
      verifyAccessToken: "auto",
      ...auth,
    },
    sources: {},
    ...overrides,
  };
  if (e.auth.type === "sso" && !e.sso) {
    e.sso = {
      name: "default",
      issuer: "https://sso.example",
      clientId: "lmi",
      scopes: ["openid", "profile", "email", "offline_access"],
      redirectPort: 0,
      redirectHost: "127.0.0.1",
    };
  }
  return e;
}

const USER_AUTH = 'Bearer error="insufficient_user_authentication", ' +
  'error_description="A different authentication level is required", acr_values="phr", ' +
  "max_age=300";

Deno.test("stepUpChallenge: what counts as one and what is kept", async (t) => {
  await t.step("RFC 9470: acr_values and max_age", () => {
    assertEquals(stepUpChallenge(USER_AUTH, "Bearer"), {
      scheme: "bearer",
      error: "insufficient_user_authentication",
      acrValues: ["phr"],
      maxAge: 300,
      description: "A different authentication level is required",
    });
  });
  await t.step("RFC 6750: insufficient_scope with its scopes", () => {
    assertEquals(stepUpChallenge('Bearer error="insufficient_scope", scope="a b a"', "bearer"), {
      scheme: "bearer",
      error: "insufficient_scope",
      scope: ["a", "b"],
    });
  });
  await t.step("other errors, schemes and headers are none", () => {
    for (
      const h of [
        null,
        "",
        'Bearer error="invalid_token"',
        "Bearer",
        'Basic error="insufficient_scope"',
        'Bearer error="INSUFFICIENT_SCOPE"',
        'Bearer error="insufficient_scope', // never ends: the parameter is dropped
        `Bearer error="insufficient_scope", scope="${"a".repeat(9000)}"`, // past the bound
      ]
    ) {
      assertEquals(stepUpChallenge(h, "Bearer"), undefined, String(h).slice(0, 60));
    }
  });
  await t.step("DPoP's scheme too, and the token's own scheme wins among several", () => {
    const both = 'Bearer error="insufficient_scope", scope="b", ' +
      'DPoP error="insufficient_user_authentication", acr_values="d"';
    assertEquals(stepUpChallenge(both, "DPoP")?.acrValues, ["d"]);
    assertEquals(stepUpChallenge(both, "bearer")?.scope, ["b"]);
    assertEquals(stepUpChallenge(both, "N_A")?.scope, ["b"], "else the first");
  });
  await t.step("values that cannot be used are left out, not the challenge", () => {
    const c = stepUpChallenge(
      'Bearer error="insufficient_user_authentication", acr_values="ok b\\"ad ok", ' +
        'max_age="-1", scope=""',
      "Bearer",
    );
    assertEquals(c, {
      scheme: "bearer",
      error: "insufficient_user_authentication",
      acrValues: ["ok"],
    });
    const huge = stepUpChallenge(
      `Bearer error="insufficient_user_authentication", max_age=99999999999, acr_values="${
        Array.from({ length: 40 }, (_, i) => `v${i}`).join(" ")
      } ${"x".repeat(300)}"`,
      "Bearer",
    );
    assertEquals(huge?.maxAge, undefined, "more than 10 digits");
    assertEquals(huge?.acrValues?.length, 16, "at most 16 values, none longer than 256");
  });
});

Deno.test("durationText: durations as lmi reads them back", () => {
  assertEquals([0, 59, 60, 90, 300, 3600, 5400, 86_400, 3661].map(durationText), [
    "0s",
    "59s",
    "1m",
    "1m30s",
    "5m",
    "1h",
    "1h30m",
    "24h",
    "1h1m1s",
  ]);
});

Deno.test("stepUpHint: the command that satisfies the API, for each kind of env", async (t) => {
  const challenge = (header: string) => stepUpChallenge(header, "Bearer")!;
  await t.step("sso env, a stronger and more recent sign-in", () => {
    assertEquals(
      stepUpHint(env(), challenge(USER_AUTH)),
      "sign in again as the API asks: lmi login sso --acr-values phr --max-age 5m",
    );
    assertEquals(
      stepUpHint(env(), challenge('Bearer error="insufficient_user_authentication"')),
      "sign in again as the API asks: lmi login sso",
    );
    const lab = env({ ssoProvider: "lab" });
    lab.sso = { ...lab.sso!, name: "lab" };
    assertEquals(
      stepUpHint(lab, challenge(USER_AUTH)),
      "sign in again as the API asks: lmi login sso lab --acr-values phr --max-age 5m",
      "the env's provider is named",
    );
    assertEquals(
      stepUpHint(
        env(),
        challenge('Bearer error="insufficient_user_authentication", acr_values="phrh phr"'),
      ),
      "sign in again as the API asks: lmi login sso --acr-values 'phrh phr'",
    );
  });
  await t.step("max_age beyond what --max-age takes asks for 24h (stricter, still right)", () => {
    assertMatch(
      stepUpHint(
        env(),
        challenge('Bearer error="insufficient_user_authentication", max_age=2592000'),
      ),
      /lmi login sso --max-age 24h$/,
    );
  });
  await t.step("sso env, scopes: only those [sso] does not ask for already", () => {
    assertEquals(
      stepUpHint(env(), challenge('Bearer error="insufficient_scope", scope="openid admin x:y"')),
      "sign in with the scope the API needs: lmi login sso --scope admin --scope x:y",
    );
    assertMatch(
      stepUpHint(env(), challenge('Bearer error="insufficient_scope", scope="openid"')),
      /^\[sso\] scopes ask for "openid" already, but the IdP did not grant them/,
    );
    assertMatch(
      stepUpHint(env(), challenge('Bearer error="insufficient_scope"')),
      /did not say which scope.*lmi login sso --scope SCOPE$/,
    );
  });
  await t.step("a scope with shell characters is quoted in the command", () => {
    const hint = stepUpHint(env(), challenge(`Bearer error="insufficient_scope", scope="a;rm'$x"`));
    assert(hint.endsWith(`lmi login sso --scope 'a;rm'\\''$x'`), hint);
    assertEquals(shellWord("https://x.example/a:b"), "https://x.example/a:b");
    assertEquals(shellWord("$(id)"), "'$(id)'");
  });
  await t.step("a service env: the scope goes into its config", () => {
    const svc = env({}, { type: "client_credentials", scopes: ["api.read"] });
    assertEquals(
      stepUpHint(svc, challenge('Bearer error="insufficient_scope", scope="api.read admin"')),
      'add "admin" to scopes in [envs.dev.auth]; lmi then gets a new token with it',
    );
    assertEquals(
      stepUpHint(
        { ...svc, definedBy: "environment" },
        challenge('Bearer error="insufficient_scope", scope="admin"'),
      ),
      'add "admin" to LMI_SCOPES; lmi then gets a new token with it',
    );
    assertMatch(
      stepUpHint(svc, challenge('Bearer error="insufficient_scope", scope="api.read"')),
      /asks for "api\.read" already, but the IdP did not grant it/,
    );
    const cmd = env({}, { type: "command" });
    assertMatch(
      stepUpHint(cmd, challenge('Bearer error="insufficient_scope", scope="admin"')),
      /command prints lacks "admin": have the command ask for it/,
    );
  });
  await t.step("a service env cannot sign a person in more strongly: it says so", () => {
    const svc = env({ requiresSso: true }, { type: "client_credentials" });
    assertEquals(
      stepUpHint(svc, challenge(USER_AUTH)),
      'env "dev" gets its token with client_credentials, which cannot ask for a stronger or ' +
        'more recent sign-in (acr_values "phr", max_age 5m): call this API from an env with ' +
        'auth type "sso"',
    );
  });
});

Deno.test("StepUpRequiredError: an AuthError (exit 4) carrying the challenge", () => {
  const challenge: StepUpChallenge = stepUpChallenge(USER_AUTH, "Bearer")!;
  const err = stepUpError(env(), challenge, {
    status: 401,
    method: "GET",
    url: "https://api.example/admin",
  });
  assert(err instanceof StepUpRequiredError && err instanceof AuthError);
  assert(err instanceof Exported, "the class src/mod.ts exports");
  assertEquals(
    [err.name, err.code, err.exitCode, err.status, err.oauthError, err.url, err.challenge],
    [
      "StepUpRequiredError",
      "INSUFFICIENT_USER_AUTHENTICATION",
      ExitCode.auth,
      401,
      "insufficient_user_authentication",
      "https://api.example/admin",
      challenge,
    ],
  );
  assertEquals(
    err.message,
    "HTTP 401 from GET https://api.example/admin: the API requires a stronger or more recent " +
      'sign-in (acr_values "phr", max_age 5m): A different authentication level is required',
  );
  assertEquals(
    err.hint,
    "sign in again as the API asks: lmi login sso --acr-values phr --max-age 5m",
  );
  const scope = stepUpError(env(), stepUpChallenge('Bearer error="insufficient_scope"', "")!, {
    status: 403,
    method: "POST",
    url: "https://api.example/x",
  });
  assertEquals(scope.code, "INSUFFICIENT_SCOPE");
  assertEquals(
    scope.message,
    "HTTP 403 from POST https://api.example/x: the API requires a scope the token lacks",
  );
});

Deno.test("the authenticated fetch: a step-up challenge is thrown, never retried", async (t) => {
  function world(answer: (n: number, authorization: string | null) => Response, e = env()) {
    const seen: (string | null)[] = [];
    const cancelled: number[] = [];
    const deps = fakeDeps({
      fetch: (input, init) => {
        const req = new Request(input, init);
        seen.push(req.headers.get("authorization"));
        const res = answer(seen.length, req.headers.get("authorization"));
        const n = seen.length;
        // A body that records being cancelled (the fetch must not leave it unread).
        const body = new ReadableStream<Uint8Array>({
          pull: async (c) => {
            c.enqueue(new Uint8Array(await res.arrayBuffer()));
            c.close();
          },
          cancel: () => void cancelled.push(n),
        }, { highWaterMark: 0 });
        return Promise.resolve(new Response(body, res));
      },
    });
    let tokens = 0;
    const token: TokenSource = ({ rejectedToken }) => {
      if (rejectedToken || tokens === 0) tokens++;
      return { accessToken: `tok-${tokens}`, tokenType: "Bearer", obtainedAt: 0 };
    };
    const fetch = createAuthedFetch({ env: e, deps, log: testLogger(deps), token });
    return { fetch, seen, cancelled };
  }
  const challenged = (status: number, header: string) => () =>
    new Response("refused", { status, headers: { "www-authenticate": header } });

  await t.step("401 insufficient_user_authentication: one request, the typed error", async () => {
    const w = world(challenged(401, USER_AUTH));
    const err = await assertRejects(() => w.fetch("/admin"), StepUpRequiredError);
    assertEquals(w.seen, ["Bearer tok-1"], "not retried with a new token");
    assertEquals(w.cancelled, [1], "the answer's body is let go");
    assertEquals([err.status, err.url, err.challenge.acrValues], [
      401,
      "https://api.example/admin",
      ["phr"],
    ]);
    assertMatch(err.hint!, /lmi login sso --acr-values phr --max-age 5m$/);
  });
  await t.step("403 insufficient_scope: the typed error", async () => {
    const w = world(challenged(403, 'Bearer error="insufficient_scope", scope="admin"'));
    const err = await assertRejects(() => w.fetch("/admin", { method: "DELETE" }), AuthError);
    assertEquals([err.code, err.status, w.seen.length], ["INSUFFICIENT_SCOPE", 403, 1]);
    assertMatch(err.message, /^HTTP 403 from DELETE https:\/\/api\.example\/admin: /);
  });
  await t.step("a 401 invalid_token still gets one new token and one retry", async () => {
    const w = world((n) =>
      n === 1
        ? challenged(401, 'Bearer error="invalid_token", error_description="expired"')()
        : new Response("ok")
    );
    const res = await w.fetch("/x");
    assertEquals([res.status, await res.text()], [200, "ok"]);
    assertEquals(w.seen, ["Bearer tok-1", "Bearer tok-2"]);
  });
  await t.step("a 403 without a step-up challenge is returned as it is", async () => {
    const w = world(challenged(403, 'Bearer error="invalid_token"'));
    assertEquals((await w.fetch("/x")).status, 403);
    const plain = world(() => new Response("no", { status: 403 }));
    assertEquals((await plain.fetch("/x")).status, 403);
  });
  await t.step("a request lmi sent no token with is the caller's to handle", async () => {
    const own = world(challenged(401, USER_AUTH));
    const res = await own.fetch("/x", { headers: { authorization: "Bearer mine" } });
    assertEquals([res.status, own.seen], [401, ["Bearer mine"]]);
    const elsewhere = world(challenged(403, 'Bearer error="insufficient_scope"'));
    assertEquals((await elsewhere.fetch("https://other.example/x")).status, 403);
    assertEquals(elsewhere.seen, [null]);
  });
  await t.step("a service env's challenge: the hint is about its config", async () => {
    const w = world(
      challenged(403, 'Bearer error="insufficient_scope", scope="admin"'),
      env({}, { type: "client_credentials" }),
    );
    const err = await assertRejects(() => w.fetch("/x"), StepUpRequiredError);
    assertEquals(
      err.hint,
      'add "admin" to scopes in [envs.dev.auth]; lmi then gets a new token with it',
    );
  });
});
