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

/** A key pair for the private_key_jwt client: the public JWK registered, the PEM handed out. */
export async function clientKeyPair(): Promise<
  { publicJwk: Record<string, unknown>; privateKeyPem: string }
> {
  const { publicKey, privateKey } = await jose.generateKeyPair(SIGNING_ALG, { extractable: true });
  const publicJwk = { ...await jose.exportJWK(publicKey), alg: SIGNING_ALG, use: "sig" };
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
