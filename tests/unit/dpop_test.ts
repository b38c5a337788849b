/** DPoP proofs (src/http/dpop.ts): the claims and header RFC 9449 §4.2 asks for, and nothing secret. */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { loadJose } from "../../src/deps.ts";
import {
  accessTokenHash,
  createProof,
  htu,
  isDpopType,
  jwkThumbprint,
  nonceChallenge,
} from "../../src/http/dpop.ts";
import { dpopKeyFromJwk, generateDpopKey } from "../../src/tokens/dpop_key.ts";

const jose = await loadJose();
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

Deno.test("a proof: header typ dpop+jwt, ES256, the public JWK only; verifies with it", async () => {
  const { key, jwk } = await generateDpopKey();
  const proof = await createProof(key, { method: "get", url: "https://api.example/x", now: NOW });
  const header = jose.decodeProtectedHeader(proof);
  assertEquals([header.typ, header.alg], ["dpop+jwt", "ES256"]);
  assertEquals(header.jwk as unknown, { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y });
  assert(!("d" in header.jwk!), "no private part in the header");
  assertEquals(Object.keys(header).sort(), ["alg", "jwk", "typ"]);
  const { payload } = await jose.jwtVerify(proof, jose.EmbeddedJWK, {
    typ: "dpop+jwt",
    currentDate: new Date(NOW),
  });
  assertEquals(payload.iat, Math.floor(NOW / 1000));
  assertEquals(await jose.calculateJwkThumbprint(header.jwk!), key.jkt);
});

Deno.test("a proof's claims: htm upper-cased, htu without query and fragment, iat, jti", async () => {
  const { key } = await generateDpopKey();
  const proof = await createProof(key, {
    method: "post",
    url: "https://api.example:8443/a/b?q=1&r=2#frag",
    now: NOW,
  });
  const payload = jose.decodeJwt(proof);
  assertEquals(payload.htm, "POST");
  assertEquals(payload.htu, "https://api.example:8443/a/b");
  assertEquals(payload.iat, Math.floor(NOW / 1000));
  assert(typeof payload.jti === "string" && payload.jti.length >= 16, "a jti");
  assertEquals(Object.keys(payload).sort(), ["htm", "htu", "iat", "jti"], "no ath, no nonce");
  assertEquals(htu(new URL("http://h/p?x#y")), "http://h/p");
  assertEquals(htu("https://H.example:443/P%20q/"), "https://h.example/P%20q/");
});

Deno.test("every proof has its own jti", async () => {
  const { key } = await generateDpopKey();
  const jtis = new Set<unknown>();
  for (let i = 0; i < 20; i++) {
    const proof = await createProof(key, { method: "GET", url: "https://api.example/", now: NOW });
    jtis.add(jose.decodeJwt(proof).jti);
  }
  assertEquals(jtis.size, 20);
});

Deno.test("ath = base64url(SHA-256(access token)); the nonce when given", async () => {
  const { key } = await generateDpopKey();
  const token = "eyJ.token.value";
  const proof = await createProof(key, {
    method: "GET",
    url: "https://api.example/r",
    accessToken: token,
    nonce: "n-123",
    now: NOW,
  });
  const payload = jose.decodeJwt(proof);
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)),
  );
  assertEquals(payload.ath, jose.base64url.encode(digest));
  assertEquals(await accessTokenHash(token), jose.base64url.encode(digest));
  assertEquals(payload.nonce, "n-123");
  // RFC 9449 §4.2's example: ath of the token "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU".
  assertEquals(
    await accessTokenHash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
    "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo",
  );
});

Deno.test("the key: thumbprint as jose computes it; only private P-256 JWKs", async () => {
  const { key, jwk } = await generateDpopKey();
  assertEquals(key.jkt, await jose.calculateJwkThumbprint(jwk));
  assertEquals(await jwkThumbprint(key.publicJwk), key.jkt);
  const { d: _d, ...pub } = jwk;
  await assertRejects(() => dpopKeyFromJwk(pub));
  await assertRejects(() => dpopKeyFromJwk({ ...jwk, crv: "P-384" }));
  assertEquals((await dpopKeyFromJwk(jwk)).jkt, key.jkt);
});

Deno.test("nonceChallenge: only a 401 DPoP use_dpop_nonce with a DPoP-Nonce", () => {
  const challenge = (status: number, wwwAuthenticate?: string, nonce?: string) =>
    nonceChallenge(
      new Response(null, {
        status,
        headers: {
          ...(wwwAuthenticate ? { "www-authenticate": wwwAuthenticate } : {}),
          ...(nonce ? { "dpop-nonce": nonce } : {}),
        },
      }),
    );
  assertEquals(challenge(401, 'DPoP error="use_dpop_nonce"', "abc"), "abc");
  assertEquals(challenge(401, "dpop error=use_dpop_nonce", "abc"), "abc");
  assertEquals(challenge(400, 'DPoP error="use_dpop_nonce"', "abc"), undefined);
  assertEquals(challenge(401, 'DPoP error="invalid_token"', "abc"), undefined);
  assertEquals(challenge(401, 'Bearer error="use_dpop_nonce"', "abc"), undefined);
  assertEquals(challenge(401, 'DPoP error="use_dpop_nonce"'), undefined);
  assertEquals([isDpopType("DPoP"), isDpopType("dpop"), isDpopType("Bearer")], [
    true,
    true,
    false,
  ]);
});
