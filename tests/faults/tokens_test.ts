/**
 * Hostile and broken tokens that already work and must stay working, through the real program
 * against the quirks server: `alg: none`, a stranger's signature under the issuer's `kid`, a
 * tampered cached token, a foreign cached token, and key rotation at the issuer.
 */
import { assertEquals, assertMatch } from "../helpers/assert.ts";
import { cacheEntry, writeCacheEntries } from "../helpers/cache.ts";
import {
  quirksConfig,
  type QuirksIdp,
  quirksSandbox,
  startQuirksIdp,
} from "../helpers/quirks_idp.ts";

function config(idp: QuirksIdp, auth = ""): string {
  return quirksConfig(idp, { auth });
}

const world = quirksSandbox;

Deno.test("hostile tokens", async (t) => {
  await using idp = await startQuirksIdp();

  for (const quirk of ["alg_none", "foreign_kid"] as const) {
    await t.step(`${quirk}: never verified; refused under always, opaque under auto`, async () => {
      idp.reset();
      idp.set({ token: quirk });
      await using box = await world(config(idp, 'verify_access_token = "always"'));
      const strict = await box.run(["auth", "token"]);
      assertEquals(strict.code, 4, strict.stderr);
      assertMatch(strict.stderr, /lmi: error: the new access token failed verification: /);
      await box.writeConfig(config(idp));
      const auto = await box.run(["auth", "token", "-v"]);
      assertEquals(auto.code, 0, auto.stderr);
      assertMatch(auto.stderr, /using the access token as opaque/);
      assertEquals(cacheEntry(box, "q").verified, false);
    });
  }

  await t.step("a verified cached token replaced by a foreign one is discarded", async () => {
    idp.reset();
    await using box = await world(config(idp));
    assertEquals((await box.run(["auth", "token"])).code, 0);
    const good = cacheEntry(box, "q");
    assertEquals(good.verified, true);
    // a stranger's token, signed under the issuer's kid, planted as if it had verified
    idp.set({ token: "foreign_kid" });
    const foreign = await idp.issueToken();
    await writeCacheEntries(box, "q", [{ ...good, access_token: foreign }]);
    idp.set({ token: "verifiable" });
    idp.tokenRequests.length = 0;
    const r = await box.run(["auth", "token", "-v"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stderr, /discarding the cached token for env "q": /);
    assertEquals(idp.tokenRequests.length, 1);
    assertEquals(cacheEntry(box, "q").verified, true);
  });

  await t.step(
    "key rotation: a new token under a new kid verifies after one JWKS refetch",
    async () => {
      idp.reset();
      await using box = await world(config(idp));
      assertEquals((await box.run(["auth", "token"])).code, 0);
      idp.set({ rotateKeys: true });
      const r = await box.run(["auth", "token", "--force", "-v"]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(
        r.stderr,
        /token signed with a key not in the cached JWKS; fetching the JWKS again/,
      );
      assertEquals(cacheEntry(box, "q").verified, true);
    },
  );
});
