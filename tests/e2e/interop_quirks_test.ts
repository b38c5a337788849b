/**
 * Interoperability with what real IdPs do, through the real program against the quirks server
 * (tests/helpers/quirks_idp.ts): client authentication that works with servers that do not
 * URL-decode Basic and falls back to client_secret_post once, access tokens this client cannot
 * verify, and discovery behind redirects.
 */
import { cacheEntry, writeCacheEntries } from "../helpers/cache.ts";
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertNotIncludes } from "../helpers/assert.ts";
import type { Sandbox } from "../helpers/cli.ts";
import { makePki, NEEDS_OPENSSL } from "../helpers/tls.ts";
import { ignoreUnless } from "../helpers/components.ts";
import {
  QUIRKS_CLIENTS,
  quirksConfig,
  type QuirksIdp,
  quirksSandbox,
  startQuirksIdp,
} from "../helpers/quirks_idp.ts";

type Client = keyof typeof QUIRKS_CLIENTS;

function config(idp: QuirksIdp, auth = "", client: Client = "plain", env = ""): string {
  return quirksConfig(idp, { auth, client, env });
}

const world = quirksSandbox;

function entry(box: Sandbox): Record<string, unknown> {
  return cacheEntry(box, "q");
}

Deno.test("client authentication against servers that differ", async (t) => {
  await using idp = await startQuirksIdp();

  await t.step("Basic to a server that does not URL-decode: -_.~ are sent as is", async () => {
    idp.reset();
    await using box = await world(config(idp));
    const r = await box.run(["auth", "token", "-v"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(idp.tokenRequests.length, 1);
    assertEquals(idp.tokenRequests[0]!.method, "basic");
    assertEquals(
      idp.tokenRequests[0]!.basicRaw,
      `${QUIRKS_CLIENTS.plain.id}:${QUIRKS_CLIENTS.plain.secret}`,
    );
    assertMatch(r.stderr, /client authentication for env "q": client_secret_basic/);
    // explicitly configured Basic: the same encoding
    idp.reset();
    await using explicit = await world(config(idp, 'client_auth = "client_secret_basic"'));
    assertEquals((await explicit.run(["auth", "token"])).code, 0);
    assertEquals(idp.tokenRequests[0]!.basicRaw?.startsWith("svc-cli_v1.0~x:"), true);
  });

  await t.step("a server that URL-decodes Basic accepts reserved characters", async () => {
    idp.reset();
    idp.set({ auth: "basic_decoded" });
    await using box = await world(config(idp, "", "odd"), "odd");
    const r = await box.run(["auth", "token"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(idp.tokenRequests.map((x) => x.method), ["basic"]);
    assertEquals(idp.tokenRequests[0]!.basicRaw, "svc%2Bodd%25%3A%2Fid:p%2Bs%25%3A%2Fw");
  });

  for (
    const refusal of ["invalid_client_401", "invalid_client_400", "empty_403", "empty_401"] as const
  ) {
    await t.step(`Basic refused (${refusal}): one retry with post, remembered`, async () => {
      idp.reset();
      idp.set({ auth: "post_only", basicRefusal: refusal });
      await using box = await world(config(idp));
      const r = await box.run(["auth", "token", "-v"]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(idp.tokenRequests.map((x) => x.method), ["basic", "post"]);
      assertMatch(
        r.stderr,
        /the IdP refused client_secret_basic \(HTTP \d+\); trying client_secret_post once/,
      );
      assertEquals(entry(box).client_auth, "client_secret_post");
      // the next token request uses post straight away
      idp.tokenRequests.length = 0;
      const again = await box.run(["auth", "token", "--force", "-v"]);
      assertEquals(again.code, 0, again.stderr);
      assertEquals(idp.tokenRequests.map((x) => x.method), ["post"]);
      assertMatch(again.stderr, /client_secret_post \(it worked with this IdP before\)/);
    });
  }

  await t.step("a non-decoding server and reserved characters: post after Basic", async () => {
    idp.reset();
    await using box = await world(config(idp, "", "odd"), "odd");
    const r = await box.run(["auth", "token"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(idp.tokenRequests.map((x) => [x.method, x.ok]), [
      ["basic", false],
      ["post", true],
    ]);
  });

  await t.step("the discovery document's methods decide the first try", async () => {
    idp.reset();
    idp.set({ auth: "post_only", authMethods: ["client_secret_post", "private_key_jwt"] });
    await using box = await world(config(idp));
    const r = await box.run(["auth", "token", "-v"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(idp.tokenRequests.map((x) => x.method), ["post"]);
    assertMatch(r.stderr, /client_secret_post \(the IdP lists client_secret_post but not/);
  });

  await t.step("an explicit client_auth is never changed", async () => {
    idp.reset();
    idp.set({ auth: "post_only" });
    await using box = await world(config(idp, 'client_auth = "client_secret_basic"'));
    const r = await box.run(["auth", "token"]);
    assertEquals(r.code, 4, r.stderr);
    assertEquals(idp.tokenRequests.map((x) => x.method), ["basic"]);
    assertMatch(r.stderr, /invalid_client/);
  });

  await t.step("a server that refuses both: exit 4 naming both, no third try", async () => {
    idp.reset();
    idp.set({ auth: "refuse_all", basicRefusal: "empty_403" });
    await using box = await world(config(idp));
    const r = await box.run(["auth", "token"]);
    assertEquals(r.code, 4, r.stderr);
    assertEquals(idp.tokenRequests.map((x) => x.method), ["basic", "post"]);
    assertMatch(
      r.stderr,
      /lmi: error: the IdP rejected the client with both client_secret_basic \(HTTP 403\) and client_secret_post \(HTTP 401 invalid_client\)\nhint: .*client_auth/,
    );
    assertNotIncludes(r.stderr, QUIRKS_CLIENTS.plain.secret);
  });

  // A wrong secret, said the same way whether client_auth is set or chosen: the hint names the
  // variable that holds the secret, also where the IdP refuses without an OAuth error.
  const secretHint = `hint: check the client id "${QUIRKS_CLIENTS.plain.id}" and the secret in ` +
    "Q_SECRET";
  await t.step("both refused without an error code: the hint names the variable", async () => {
    idp.reset();
    idp.set({ auth: "refuse_all", basicRefusal: "empty_403", postRefusal: "empty_403" });
    await using box = await world(config(idp));
    const r = await box.run(["auth", "token"]);
    assertEquals(r.code, 4, r.stderr);
    assertEquals(
      r.stderr,
      "lmi: error: the IdP rejected the client with both client_secret_basic (HTTP 403) and " +
        `client_secret_post (HTTP 403)\n${secretHint}; if the IdP wants another method, set ` +
        "client_auth in the env's [auth] table\n",
    );
  });
  await t.step("client_auth set, refused without an error code: the same hint", async () => {
    idp.reset();
    idp.set({ auth: "post_only", basicRefusal: "empty_401" });
    await using box = await world(config(idp, 'client_auth = "client_secret_basic"'));
    const r = await box.run(["auth", "token"]);
    assertEquals(r.code, 4, r.stderr);
    assertEquals(
      r.stderr,
      "lmi: error: the IdP rejected the token request (client_credentials) (HTTP 401)\n" +
        `${secretHint}\n`,
    );
  });
  await t.step("client_auth set, a wrong secret: the IdP's error and the variable", async () => {
    idp.reset();
    await using box = await world(config(idp, 'client_auth = "client_secret_post"'));
    const r = await box.run(["auth", "token"], { env: { Q_SECRET: "wrong" } });
    assertEquals(
      r.stderr,
      "lmi: error: the IdP rejected the token request (client_credentials) (HTTP 401 " +
        `invalid_client: client authentication failed)\n${secretHint}\n`,
    );
  });
});

Deno.test("access tokens this client cannot verify", async (t) => {
  await using idp = await startQuirksIdp();
  const cases = [
    ["entra_v1_iss", /its iss "https:\/\/sts\.windows\.net\/tenant-id\/" is not the issuer/],
    ["header_nonce", /signature does not verify with the issuer's published keys/],
    ["unpublished_key", /signed with a key \(kid unpublished\) the issuer does not publish/],
    ["no_iss", /it has no iss claim/],
  ] as const;
  for (const [quirk, why] of cases) {
    await t.step(`${quirk}: opaque under auto (one -v line), exit 4 under always`, async () => {
      idp.reset();
      idp.set({ token: quirk });
      await using box = await world(config(idp));
      const r = await box.run(["auth", "token", "-v"]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout.trim().split(".").length, 3);
      assertMatch(r.stderr, why);
      assertEquals(r.stderr.match(/using the access token as opaque/g)?.length, 1);
      assertEquals(entry(box).verified, false);
      // read back from the cache as opaque: no new request
      idp.tokenRequests.length = 0;
      const again = await box.run(["auth", "token"]);
      assertEquals([again.code, again.stdout], [0, r.stdout]);
      assertEquals(idp.tokenRequests.length, 0);
      await box.writeConfig(config(idp, 'verify_access_token = "always"'));
      const strict = await box.run(["auth", "token", "--force"]);
      assertEquals(strict.code, 4, strict.stderr);
      assertMatch(strict.stderr, /lmi: error: the new access token failed verification: /);
      assertMatch(strict.stderr, why);
    });
  }

  // DESIGN.md → Tokens: "always: a new token that does not verify is exit 4". A token that is not
  // a JWT cannot verify: auto uses it as opaque, always refuses it (new, or cached under auto).
  await t.step("an opaque (non-JWT) token: used under auto, exit 4 under always", async () => {
    idp.reset();
    idp.set({ token: "opaque" });
    await using box = await world(config(idp));
    const r = await box.run(["auth", "token"]);
    assertEquals([r.code, r.stderr], [0, ""]);
    assertEquals(entry(box).verified, false);
    await box.writeConfig(config(idp, 'verify_access_token = "always"'));
    for (const args of [["auth", "token"], ["auth", "token", "--force"]]) {
      const strict = await box.run(args);
      assertEquals(strict.code, 4, strict.stderr);
      assertMatch(
        strict.stderr,
        /^lmi: error: the new access token failed verification: it is not a JWT, so lmi cannot verify it\n/,
      );
    }
  });

  await t.step("aud differing from the requested audience: verified, aud not checked", async () => {
    idp.reset();
    idp.set({ token: "aud_account" });
    await using box = await world(config(idp, 'audience = "https://api.example"'));
    const r = await box.run(["auth", "token", "-v"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(entry(box).verified, true);
    // expected_audience is the rule: a token without it is refused
    await box.writeConfig(
      config(idp, 'audience = "https://api.example"\nexpected_audience = "https://api.example"'),
    );
    const strict = await box.run(["auth", "token", "--force"]);
    assertEquals(strict.code, 4, strict.stderr);
    assertMatch(strict.stderr, /aud/);
    assertMatch(strict.stderr, /hint: check expected_audience/);
    await box.writeConfig(config(idp, 'expected_audience = ["other", "account"]'));
    assertEquals((await box.run(["auth", "token", "--force"])).code, 0);
  });

  await t.step("never: no verification, no JWKS fetched", async () => {
    idp.reset();
    idp.set({ token: "unpublished_key" });
    await using box = await world(config(idp, 'verify_access_token = "never"'));
    const r = await box.run(["auth", "token", "-v"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(entry(box).verified, false);
    const jwks = await Deno.stat(join(box.cacheDir, "lmi", "tokens", "q.jwks.json")).catch(
      () => undefined,
    );
    assertEquals(jwks, undefined);
  });

  await t.step("a token that verified when obtained must verify on read", async () => {
    idp.reset();
    await using box = await world(config(idp));
    const first = await box.run(["auth", "token"]);
    assertEquals(first.code, 0, first.stderr);
    assertEquals(entry(box).verified, true);
    // The issuer rotates its key: the cached token's kid leaves the JWKS.
    idp.set({ rotateKeys: true });
    idp.tokenRequests.length = 0;
    await Deno.remove(join(box.cacheDir, "lmi", "tokens", "q.jwks.json"));
    // the rotation happens on the next signing; force one signing on the server side first
    await idp.issueToken();
    idp.tokenRequests.length = 0;
    const second = await box.run(["auth", "token", "-v"]);
    assertEquals(second.code, 0, second.stderr);
    assert(second.stdout !== first.stdout, "a new token");
    assertMatch(
      second.stderr,
      /discarding the cached token for env "q": it is signed with a key \(kid k1\) the issuer does not publish/,
    );
    assertEquals(idp.tokenRequests.length, 1);
    // and a tampered cache file is still discarded
    const tampered = entry(box);
    const token = tampered.access_token as string;
    tampered.access_token = token.slice(0, -4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
    await writeCacheEntries(box, "q", [tampered]);
    idp.tokenRequests.length = 0;
    const third = await box.run(["auth", "token", "-v"]);
    assertEquals(third.code, 0, third.stderr);
    assertMatch(third.stderr, /discarding the cached token/);
    assertEquals(idp.tokenRequests.length, 1);
  });

  await t.step("verify_access_token with another value: exit 3 with the valid values", async () => {
    idp.reset();
    await using box = await world(config(idp, 'verify_access_token = "sometimes"'));
    const r = await box.run(["auth", "token"]);
    assertEquals(r.code, 3, r.stderr);
    assertMatch(r.stderr, /verify_access_token/);
    assertMatch(r.stderr, /hint: valid values: "auto", "always", "never"/);
  });
});

Deno.test("an issuer with or without its trailing slash is the same issuer", async (t) => {
  await using idp = await startQuirksIdp();
  const origin = new URL(idp.issuer).origin;
  // [where the issuer is, whether discovery and the tokens add the slash the config lacks]
  const shapes = [
    ["the server's origin", ""],
    ["a path", "/realm"],
  ] as const;
  for (const [shape, path] of shapes) {
    for (const slashAt of ["discovery", "config"] as const) {
      for (const mode of ["always", "auto"] as const) {
        const discovered = `${origin}${path}${slashAt === "discovery" ? "/" : ""}`;
        const configured = `${origin}${path}${slashAt === "config" ? "/" : ""}`;
        await t.step(
          `${shape}, the slash only in ${
            slashAt === "discovery" ? "discovery" : "the config"
          }, ${mode}: verified, then reused`,
          async () => {
            idp.reset();
            idp.set({ issuerPath: path, issuerSlash: slashAt === "discovery" });
            assertEquals(idp.issuer, discovered);
            await using box = await world(
              quirksConfig({ issuer: configured }, {
                auth: `verify_access_token = "${mode}"`,
              }),
            );
            const r = await box.run(["auth", "token", "-v"]);
            assertEquals(r.code, 0, r.stderr);
            assertNotIncludes(r.stderr, "opaque");
            assertEquals(entry(box).verified, true, "verified, not taken as opaque");
            // read from the cache (the warm path, then the full program): verified, not renewed
            idp.tokenRequests.length = 0;
            const warm = await box.run(["auth", "token"]);
            assertEquals([warm.code, warm.stdout], [0, r.stdout], warm.stderr);
            const full = await box.run(["auth", "token", "-v"]);
            assertEquals([full.code, full.stdout], [0, r.stdout], full.stderr);
            assertNotIncludes(full.stderr, "discarding");
            assertEquals(idp.tokenRequests.length, 0);
          },
        );
      }
    }
  }

  await t.step("another issuer is still another issuer", async () => {
    idp.reset();
    await using box = await world(
      quirksConfig({ issuer: `${origin}/realm` }, { auth: 'verify_access_token = "always"' }),
    );
    idp.set({ issuerPath: "/realm", issuerSlash: false });
    idp.set({ token: "entra_v1_iss" });
    const r = await box.run(["auth", "token"]);
    assertEquals(r.code, 4, r.stderr);
    assertMatch(r.stderr, /its iss "https:\/\/sts\.windows\.net\/tenant-id\/" is not the issuer/);
  });
});

Deno.test("discovery behind redirects", async (t) => {
  await using idp = await startQuirksIdp();

  await t.step("a 301 to the trailing-slash path is followed; the issuer stays exact", async () => {
    idp.reset();
    idp.set({ discovery: "trailing_slash" });
    await using box = await world(config(idp));
    const r = await box.run(["auth", "token"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(idp.discoveryRequests, [
      "/realm/.well-known/openid-configuration",
      "/realm/.well-known/openid-configuration/",
    ]);
  });

  await t.step("a redirect loop: exit 4 naming the URLs", async () => {
    idp.reset();
    idp.set({ discovery: "loop" });
    await using box = await world(config(idp));
    const r = await box.run(["auth", "token"]);
    assertEquals(r.code, 4, r.stderr);
    assertMatch(
      r.stderr,
      /lmi: error: too many redirects \(more than 3\): http:\/\/127\.0\.0\.1:\d+\/realm\/\.well-known\/openid-configuration -> /,
    );
    assertEquals(r.stderr.trim().split("\n").length, 2, r.stderr);
  });

  await t.step("a redirect to another origin: exit 4 naming both URLs", async () => {
    idp.reset();
    idp.set({ discovery: "other_origin" });
    await using box = await world(config(idp));
    const r = await box.run(["auth", "token"]);
    assertEquals(r.code, 4, r.stderr);
    assertMatch(
      r.stderr,
      /refusing the redirect from http:\/\/127\.0\.0\.1:(\d+)\/realm\/\.well-known\/openid-configuration to http:\/\/127\.0\.0\.1:(?!\1)\d+\/realm\/.*another origin/,
    );
  });

  const TO_HTTP = "a redirect from https to http is refused";
  await t.step({
    name: TO_HTTP,
    ignore: ignoreUnless(TO_HTTP, NEEDS_OPENSSL),
    fn: async () => {
      const dir = await Deno.makeTempDir();
      try {
        const pki = await makePki(dir);
        await using tlsIdp = await startQuirksIdp({ cert: pki.cert, key: pki.key });
        tlsIdp.set({ discovery: "to_http" });
        await using box = await world(
          config(tlsIdp, "", "plain", `ca_file = ${JSON.stringify(pki.caFile)}`),
        );
        const r = await box.run(["auth", "token"]);
        assertEquals(r.code, 4, r.stderr);
        assertMatch(
          r.stderr,
          /refusing the redirect from https:\/\/127\.0\.0\.1:\d+\/\S+ to http:\/\/\S+: it leaves https/,
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
});
