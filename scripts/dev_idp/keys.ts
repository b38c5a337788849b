/**
 * Keys: the IdP's signing key (published at `jwks_uri`), the private_key_jwt client's key pair,
 * and the JWKS-backed check of the access tokens the protected API receives.
 *
 * @module
 */
import { jose } from "../deps.ts";

/** The algorithm of every signature here: access and ID tokens, client assertions. */
export const SIGNING_ALG = "ES256";

/** A fresh signing key for the IdP, as the private JWK oidc-provider's `jwks` option takes. */
export async function signingJwk(): Promise<jose.JWK> {
  const { privateKey } = await jose.generateKeyPair(SIGNING_ALG, { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  jwk.kid = await jose.calculateJwkThumbprint(jwk);
  jwk.alg = SIGNING_ALG;
  jwk.use = "sig";
  return jwk;
}

/**
 * The private key of the private_key_jwt client `svc-jwt`. It is fixed, as the client secrets are
 * (not a secret: this IdP only ever runs on loopback), so that a config written for one run of the
 * IdP (`deno task dev-idp --write-config`) works with the next.
 */
const CLIENT_PRIVATE_JWK: jose.JWK = {
  kty: "EC",
  crv: "P-256",
  x: "5Day6KqludakfyIpNaVC3zU2wpqcdY1UsRp7-c7jPUE",
  y: "K0zwvOq--S29_u0x9V8D6UeyAK-muEmcZfwpBZyifHM",
  d: "s4cSB6RWAy7Di9iim2jIeih_Zpi2ff9QlO2Y1n3suLk",
};

/** The private_key_jwt client's key pair: the public JWK registered, the PEM handed out. */
export async function clientKeyPair(): Promise<
  { publicJwk: Record<string, unknown>; privateKeyPem: string }
> {
  const { kty, crv, x, y } = CLIENT_PRIVATE_JWK;
  const privateKey = await jose.importJWK(CLIENT_PRIVATE_JWK, SIGNING_ALG, {
    extractable: true,
  }) as CryptoKey;
  const publicJwk = { kty, crv, x, y, alg: SIGNING_ALG, use: "sig" };
  return { publicJwk, privateKeyPem: await jose.exportPKCS8(privateKey) };
}

/** Verifies a JWT access token of `issuer` for `audience` with the keys at `jwksUri`. */
export function jwtVerifier(
  issuer: string,
  jwksUri: string,
  audience: string,
): (token: string) => Promise<jose.JWTPayload> {
  const jwks = jose.createRemoteJWKSet(new URL(jwksUri));
  return async (token) => (await jose.jwtVerify(token, jwks, { issuer, audience })).payload;
}
