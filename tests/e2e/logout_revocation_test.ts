/**
 * `lmi logout` and revocation (RFC 7009) against the dev IdP, for envs without discovery: with
 * `revocation_url` (or LMI_REVOCATION_URL) the tokens are revoked, and introspection says so;
 * without a revocation endpoint, or with a JWT access token the IdP cannot revoke, lmi says at
 * normal verbosity that they stay valid until they expire, and never says "revoked" at -vv.
 */
import { assert, assertEquals, assertMatch, ownLines } from "../helpers/assert.ts";
import { cacheEntry } from "../helpers/cache.ts";
import { devSandbox, introspect, passwordEnv, serviceEnv } from "../helpers/dev_world.ts";
import { startDevIdp } from "../../scripts/dev_idp/mod.ts";

const REVOKED = /\brevoked\b/;

Deno.test("logout and revocation without discovery", async (t) => {
  await using idp = await startDevIdp();
  const revocationUrl = `${idp.issuer}/token/revocation`;
  /** The password-grant env at token_url (no issuer); `extra` goes in its [auth] table. */
  const tokenUrlEnv = (extra = "") =>
    passwordEnv(idp, "pw", { auth: `scopes = ["api.read"]\n${extra}` })
      .replace(/^issuer = .*$/m, `token_url = "${idp.tokenUrl}"`);

  await t.step("token_url + revocation_url: logout revokes at the IdP", async () => {
    await using box = await devSandbox(idp, tokenUrlEnv(`revocation_url = "${revocationUrl}"`));
    const token = await box.run(["auth", "token", "-e", "pw"]);
    assertEquals(token.code, 0, token.stderr);
    const refresh = cacheEntry(box, "pw").refresh_token as string;
    assert(refresh, "a refresh token");
    assertEquals(await introspect(idp, refresh), true, "active before logout");
    const out = await box.run(["logout", "-e", "pw", "-v"]);
    assertEquals(out.code, 0, out.stderr);
    assertEquals(await introspect(idp, refresh), false, "revoked, says introspection");
    assertMatch(out.stderr, /lmi: revoked env "pw"'s refresh token at the IdP\n/);
    // The access token is a JWT: oidc-provider cannot revoke it, and lmi says so.
    assertMatch(
      out.stderr,
      /env "pw"'s access token stays valid at the IdP until it expires: the IdP cannot revoke it/,
    );
    assertMatch(out.stderr, /Removed the cached token of env "pw"/);
  });

  await t.step("LMI_REVOCATION_URL: an opaque access token revoked too", async () => {
    await using box = await devSandbox(idp, "", {
      LMI_TOKEN_URL: idp.tokenUrl,
      LMI_CLIENT_ID: idp.clients.basic.id,
      LMI_CLIENT_SECRET: idp.clients.basic.secret,
      LMI_RESOURCE: idp.opaqueResource,
      LMI_REVOCATION_URL: revocationUrl,
    });
    const token = await box.run(["auth", "token"]);
    assertEquals(token.code, 0, token.stderr);
    const access = token.stdout.trim();
    assertEquals(await introspect(idp, access), true, "active before logout");
    const out = await box.run(["logout", "-v"]);
    assertEquals(out.code, 0, out.stderr);
    assertEquals(await introspect(idp, access), false, "revoked, says introspection");
    assertEquals(
      out.stderr,
      'lmi: revoked env "default"\'s tokens at the IdP\n' +
        'Removed the cached token of env "default"\n',
    );
  });

  await t.step("no revocation endpoint known: said at normal verbosity", async () => {
    await using box = await devSandbox(idp, tokenUrlEnv());
    assertEquals((await box.run(["auth", "token", "-e", "pw"])).code, 0);
    const refresh = cacheEntry(box, "pw").refresh_token as string;
    const out = await box.run(["logout", "-e", "pw"]);
    assertEquals(out.code, 0, out.stderr);
    assertEquals(
      out.stderr,
      `env "pw"'s tokens stay valid at the IdP until they expire: lmi knows no revocation ` +
        "endpoint for it (set revocation_url in the env's [auth] table if the IdP has one)\n" +
        'Removed the cached token of env "pw"\n',
    );
    assertEquals(await introspect(idp, refresh), true, "still valid at the IdP, as said");
    assertEquals((await box.run(["auth", "token", "-e", "pw"])).code, 0);
    const debug = await box.run(["logout", "-e", "pw", "-vv"]);
    assertEquals(debug.code, 0, debug.stderr);
    assert(!REVOKED.test(ownLines(debug.stderr)), `never "revoked" at -vv:\n${debug.stderr}`);
  });

  await t.step('a JWT access token alone: never "revoked" at -vv', async () => {
    const toml = serviceEnv(idp, "dev", { auth: 'scopes = ["api.read"]' });
    await using box = await devSandbox(idp, toml);
    assertEquals((await box.run(["auth", "token", "-e", "dev"])).code, 0);
    const out = await box.run(["logout", "-e", "dev", "-vv"]);
    assertEquals(out.code, 0, out.stderr);
    assertMatch(out.stderr, /> POST http:\/\/127\.0\.0\.1:\d+\/token\/revocation/);
    assert(!REVOKED.test(ownLines(out.stderr)), `never "revoked" at -vv:\n${out.stderr}`);
    assertMatch(
      out.stderr,
      /env "dev"'s access token stays valid at the IdP until it expires: the IdP cannot revoke it/,
    );
  });
});
