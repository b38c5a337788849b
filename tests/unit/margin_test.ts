/**
 * The refresh margin (src/tokens/margin.ts): the configured margin, but at most half a token's
 * lifetime as issued, so short-lived tokens are reused and shared; with an injected clock, the
 * same rule for SSO sessions. No sleeping, no network.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { join } from "../../src/util/path.ts";
import {
  isFresh,
  refreshMarginMs,
  shortenedMarginNote,
  storedMarginMs,
  usableUntil,
} from "../../src/tokens/margin.ts";
import { getSsoSession, SSO_REFRESH_MARGIN_MS, storeFor } from "../../src/sso/sso.ts";
import { saveSession, SESSION_VERSION, type SsoSession } from "../../src/sso/session.ts";
import type { SsoConfig } from "../../src/config/sso.ts";
import { fakeDeps, homeVars, testLogger } from "../helpers/fakes.ts";

const NOW = Date.parse("2026-01-01T00:00:00Z");
const S = 1000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A stored token obtained at `obtained` (ms) that lives `lifetime` ms. */
const stored = (obtained: number, lifetime: number) => ({
  obtained_at: iso(obtained),
  expires_at: iso(obtained + lifetime),
});

Deno.test("the margin is refresh_margin, or half the lifetime when that is shorter", () => {
  assertEquals(refreshMarginMs(60 * S, NOW + 3600 * S, NOW), 60 * S, "a 1 h token");
  assertEquals(refreshMarginMs(60 * S, NOW + 120 * S, NOW), 60 * S, "exactly twice the margin");
  assertEquals(refreshMarginMs(60 * S, NOW + 30 * S, NOW), 15 * S, "a 30 s token");
  assertEquals(refreshMarginMs(60 * S, NOW + 1 * S, NOW), 500, "a 1 s token");
  assertEquals(refreshMarginMs(0, NOW + 30 * S, NOW), 0, "refresh_margin = 0");
  assertEquals(refreshMarginMs(60 * S, NOW - 5 * S, NOW), 0, "expired when obtained: never < 0");
  assertEquals(refreshMarginMs(60 * S, NOW + 30 * S, undefined), 60 * S, "no obtained_at");
  assertEquals(refreshMarginMs(60 * S, NOW + 30 * S, NaN), 60 * S, "unreadable obtained_at");
  assertEquals(storedMarginMs(stored(NOW, 30 * S), 60 * S), 15 * S);
  assertEquals(storedMarginMs({ expires_at: iso(NOW + 30 * S) }, 60 * S), 60 * S);
  assertEquals(storedMarginMs({ ...stored(NOW, 30 * S), obtained_at: "soon" }, 60 * S), 60 * S);
  assertEquals(usableUntil(NOW + 30 * S, NOW, 60 * S), NOW + 15 * S);
  assertEquals(usableUntil(NOW + 3600 * S, NOW, 60 * S), NOW + 3540 * S);
});

Deno.test("a 30 s token with the default 60 s margin is used for 15 s", async (t) => {
  const token = stored(NOW, 30 * S);
  await t.step("fresh from the IdP (what a process that waited for the lock reads)", () => {
    assert(isFresh(token, NOW, 60 * S));
    assert(isFresh(token, NOW + 2 * S, 60 * S), "a waiter two seconds later");
  });
  await t.step("until 15 s are left", () => {
    assert(isFresh(token, NOW + 15 * S - 1, 60 * S));
    assert(!isFresh(token, NOW + 15 * S, 60 * S));
  });
  await t.step("--min-ttl still counts: the longer of the two decides", () => {
    assert(isFresh(token, NOW, 60 * S, 20 * S));
    assert(!isFresh(token, NOW + 11 * S, 60 * S, 20 * S));
    assert(!isFresh(token, NOW, 60 * S, 30 * S), "--min-ttl as long as the whole lifetime");
  });
  await t.step("a long-lived token keeps the full margin", () => {
    const long = stored(NOW, 3600 * S);
    assert(isFresh(long, NOW + 3539 * S, 60 * S));
    assert(!isFresh(long, NOW + 3540 * S, 60 * S));
  });
});

Deno.test("-v: one line says when the margin was shortened, none when it was not", () => {
  assertEquals(
    shortenedMarginNote('the token for env "dev"', "refresh_margin", stored(NOW, 30 * S), 60 * S),
    'the token for env "dev" was issued for 30s, less than twice refresh_margin (1m00s): it is renewed when 15s are left, half its lifetime',
  );
  assertEquals(
    shortenedMarginNote("x", "refresh_margin", stored(NOW, 120 * S), 60 * S),
    undefined,
  );
  assertEquals(
    shortenedMarginNote("x", "refresh_margin", { expires_at: iso(NOW) }, 60 * S),
    undefined,
  );
});

Deno.test("an SSO session with a short-lived token is used for half its lifetime", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lmi-margin-" });
  const deps = fakeDeps({
    now: NOW,
    cwd: dir,
    env: { ...homeVars(dir), LMI_KEYRING: "file", LMI_CACHE_DIR: join(dir, "cache") },
    // No network: a session that had to be refreshed would fail here.
    fetch: () => Promise.reject(new TypeError("no network in this test")),
  });
  const log = testLogger(deps, 1);
  const ctx = { deps, log };
  const sso: SsoConfig = {
    name: "default",
    issuer: "https://idp.example",
    clientId: "lmi",
    scopes: ["openid"],
    redirectPort: 0,
    redirectHost: "127.0.0.1",
  };
  const session: SsoSession = {
    version: SESSION_VERSION,
    issuer: sso.issuer,
    client_id: sso.clientId,
    access_token: "sso-at",
    token_type: "Bearer",
    user: { sub: "alice" },
    ...stored(NOW, 30 * S),
  };
  try {
    await saveSession(await storeFor(ctx), session);
    await t.step("14 s after it was obtained: used, with the -v line", async () => {
      deps.clock.now = NOW + 14 * S;
      const s = await getSsoSession(sso, ctx);
      assertEquals(s.access_token, "sso-at");
      await log.flush();
      assert(
        deps.stderr.text().includes(
          "the SSO session's token was issued for 30s, less than twice the SSO refresh margin (1m00s): it is renewed when 15s are left",
        ),
        deps.stderr.text(),
      );
    });
    await t.step("the reuse bound of an env that requires the session", async () => {
      const { ssoReuseUntil, SESSION_RECHECK_MS } = await import("../../src/tokens/acquire.ts");
      assertEquals(await ssoReuseUntil(session, NOW), NOW + SESSION_RECHECK_MS);
      assertEquals(await ssoReuseUntil(session, NOW + 14 * S), NOW + 15 * S);
      assert(SSO_REFRESH_MARGIN_MS > 15 * S);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
