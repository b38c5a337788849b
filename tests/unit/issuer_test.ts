/**
 * Issuers compare equal with or without one trailing slash (DESIGN.md → Tokens), and tokens are
 * checked against the issuer discovery validated: the rule itself, and the verifier applying it
 * to a token's `iss` and to the JWKS cache kept per configured issuer. Injected clock, no network.
 */
import { userCacheKey } from "../../src/util/cache_key.ts";
import { assert, assertEquals } from "../helpers/assert.ts";
import { join } from "../../src/util/path.ts";
import { loadJose } from "../../src/deps.ts";
import { issuerForms, sameIssuer } from "../../src/util/issuer.ts";
import { createVerifier } from "../../src/tokens/verify.ts";
import { fakeDeps, testLogger } from "../helpers/fakes.ts";

const NOW = Date.parse("2026-01-01T00:00:00Z");

Deno.test("one trailing slash is all that may differ", () => {
  const same: Array<[string, string]> = [
    ["https://idp.example", "https://idp.example/"],
    ["https://idp.example/", "https://idp.example"],
    ["https://idp.example/realms/x", "https://idp.example/realms/x/"],
    ["https://idp.example/realms/x", "https://idp.example/realms/x"],
  ];
  const other: Array<[string, string]> = [
    ["https://idp.example", "https://idp.example//"],
    ["https://idp.example/realms/x", "https://idp.example/realms/x/y"],
    ["https://idp.example/realms/x", "https://idp.example/realms/X"],
    ["https://idp.example", "http://idp.example"],
    ["https://idp.example", "https://idp.example:443"],
  ];
  for (const [a, b] of same) assert(sameIssuer(a, b) && sameIssuer(b, a), `${a} = ${b}`);
  for (const [a, b] of other) assert(!sameIssuer(a, b) && !sameIssuer(b, a), `${a} != ${b}`);
  assertEquals(issuerForms("https://idp.example/"), [
    "https://idp.example",
    "https://idp.example/",
  ]);
  assertEquals(issuerForms("https://idp.example"), ["https://idp.example", "https://idp.example/"]);
  assertEquals(issuerForms("https://idp.example//"), ["https://idp.example//"]);
  // the forms are exactly the spellings sameIssuer accepts
  for (const issuer of ["https://h", "https://h/", "https://h//", "https://h/a", "https://h/a/"]) {
    for (
      const candidate of ["https://h", "https://h/", "https://h//", "https://h/a/", "https://h/a"]
    ) {
      assertEquals(
        issuerForms(issuer).includes(candidate),
        sameIssuer(issuer, candidate),
        `${issuer} vs ${candidate}`,
      );
    }
  }
});

Deno.test("tokens are checked against the issuer discovery validated", async (t) => {
  const jose = await loadJose();
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
  const jwk = { ...await jose.exportJWK(publicKey), kid: "k1", alg: "ES256" };
  const sign = (iss: string) =>
    new jose.SignJWT({ iss, aud: "api", exp: NOW / 1000 + 600 })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .sign(privateKey);
  const dir = await Deno.makeTempDir({ prefix: "lmi-issuer-" });
  const deps = fakeDeps({ now: NOW });
  const fetched: string[] = [];
  const verifier = (configIssuer: string, discovered: string) =>
    createVerifier({
      path: join(dir, "dev.jwks.json"),
      configIssuer,
      cacheKey: userCacheKey(join(dir, "data")),
      now: deps.now,
      log: testLogger(deps),
      issuerKeys: () => Promise.resolve({ issuer: discovered, jwks_uri: `${discovered}/jwks` }),
      fetchJwks: (keys) => {
        fetched.push(keys.issuer);
        return Promise.resolve([jwk]);
      },
    });
  const strict = { strict: true, audience: "api" };
  try {
    const pairs: Array<[string, string]> = [
      ["https://idp.example", "https://idp.example/"],
      ["https://idp.example/", "https://idp.example"],
    ];
    for (const [configured, discovered] of pairs) {
      await t.step(`configured ${configured}, discovered ${discovered}`, async () => {
        await Deno.remove(join(dir, "dev.jwks.json")).catch(() => {});
        fetched.length = 0;
        const token = await sign(discovered);
        const first = await verifier(configured, discovered).verify(token, strict);
        assert(first.ok && first.verified && first.memo, JSON.stringify(first));
        // from the cache: the memo (claims only), then jose again without it
        const memo = await verifier(configured, discovered).verify(token, strict, first.memo);
        assert(memo.ok && memo.verified, JSON.stringify(memo));
        const again = await verifier(configured, discovered).verify(token, strict);
        assert(again.ok && again.verified, JSON.stringify(again));
        // the config spelled the other way finds the same cached keys
        const respelled = configured.endsWith("/") ? configured.slice(0, -1) : `${configured}/`;
        const other = await verifier(respelled, discovered).verify(token, strict, first.memo);
        assert(other.ok && other.verified, JSON.stringify(other));
        assertEquals(fetched, [discovered], "the keys were fetched once");
        // a token whose iss is the configured spelling (not the IdP's) passes as well
        const respelledToken = await sign(configured);
        const loose = await verifier(configured, discovered).verify(respelledToken, strict);
        assert(loose.ok && loose.verified, JSON.stringify(loose));
      });
    }
    await t.step("another issuer is not verified: opaque, or a failure when strict", async () => {
      const token = await sign("https://idp.example/other");
      const v = verifier("https://idp.example", "https://idp.example/");
      assertEquals(await v.verify(token, { strict: false }), {
        ok: true,
        verified: false,
        note: 'its iss "https://idp.example/other" is not the issuer https://idp.example',
      });
      assertEquals((await v.verify(token, strict)).ok, false);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
