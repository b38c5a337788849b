/** ID token checks when an SSO session is made: signature against the JWKS, iss, aud, exp. */
import { assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { loadJose } from "../../src/deps.ts";
import { sessionFrom } from "../../src/sso/login.ts";
import { AuthError } from "../../src/errors.ts";
import { connWithKey, fakeDeps, testLogger } from "../helpers/fakes.ts";

const jose = await loadJose();
const ISSUER = "https://idp.test";
const sso = {
  name: "default",
  issuer: ISSUER,
  clientId: "lmi",
  scopes: ["openid"],
  redirectPort: 0,
  redirectHost: "127.0.0.1",
};

Deno.test("ID token verification", async (t) => {
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
  const other = await jose.generateKeyPair("ES256");
  const jwk = { ...await jose.exportJWK(publicKey), kid: "k1", alg: "ES256" };
  const deps = fakeDeps({ now: Date.now() });
  const conn = connWithKey(ISSUER, jwk);
  const idToken = (claims: Record<string, unknown>, key: CryptoKey = privateKey) => {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      iss: ISSUER,
      sub: "user-1",
      aud: "lmi",
      iat: now,
      exp: now + 300,
      email: "a@example.com",
      name: "A",
      ...claims,
    };
    return new jose.SignJWT(payload).setProtectedHeader({ alg: "ES256", kid: "k1" }).sign(key);
  };
  const make = (token: string) =>
    sessionFrom(
      { access_token: "at", token_type: "Bearer", id_token: token, expires_in: 60 },
      sso,
      conn,
      {
        deps,
        log: testLogger(deps),
      },
    );

  await t.step("a good ID token gives the user", async () => {
    const s = await make(await idToken({}));
    assertEquals(s.user, { sub: "user-1", email: "a@example.com", name: "A" });
  });
  await t.step("wrong audience", async () => {
    const err = await assertRejects(
      async () => make(await idToken({ aud: "someone-else" })),
      AuthError,
    );
    assertMatch(err.message, /ID token failed verification: claim aud/);
    assertEquals(err.exitCode, 4);
  });
  await t.step("wrong signature", async () => {
    const err = await assertRejects(
      async () => make(await idToken({}, other.privateKey)),
      AuthError,
    );
    assertMatch(err.message, /signature does not verify/);
  });
  await t.step("wrong issuer, expired", async () => {
    await assertRejects(async () => make(await idToken({ iss: "https://evil.test" })), AuthError);
    await assertRejects(
      async () => make(await idToken({ exp: Math.floor(Date.now() / 1000) - 3600 })),
      AuthError,
    );
  });
});
