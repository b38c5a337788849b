/**
 * DPoP proofs (RFC 9449 §4) for API requests: a JWT signed with the env's key naming the method
 * (`htm`), the URL without query and fragment (`htu`), the time (`iat`), a unique `jti`, the
 * access token's hash (`ath`, §4.2) and the server's nonce when it asked for one (§8–9). jose is
 * loaded only when a proof is made.
 *
 * @module
 */
import type { DpopKey } from "../context.ts";
import { loadJose } from "../deps.ts";

/** base64url without padding. */
export function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** The JWK thumbprint (RFC 7638) of a P-256 public key. */
export async function jwkThumbprint(jwk: DpopKey["publicJwk"]): Promise<string> {
  const { crv, kty, x, y } = jwk;
  return base64url(await sha256(JSON.stringify({ crv, kty, x, y })));
}

/** `ath`: base64url(SHA-256(access token)) (RFC 9449 §4.2). */
export async function accessTokenHash(accessToken: string): Promise<string> {
  return base64url(await sha256(accessToken));
}

/** The `htu` of a request: its URL without query and fragment (RFC 9449 §4.2). */
export function htu(url: string | URL): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

export interface ProofOptions {
  method: string;
  url: string | URL;
  /** Bound into the proof as `ath` (requests to protected resources). */
  accessToken?: string;
  /** The server's `DPoP-Nonce`, when it asked for one. */
  nonce?: string;
  /** Milliseconds since the epoch (default: now). */
  now?: number;
}

/** A fresh DPoP proof JWT for one request. */
export async function createProof(key: DpopKey, options: ProofOptions): Promise<string> {
  const { method, url, accessToken, nonce, now = Date.now() } = options;
  const { SignJWT } = await loadJose();
  const claims: Record<string, string> = { htm: method.toUpperCase(), htu: htu(url) };
  if (accessToken !== undefined) claims.ath = await accessTokenHash(accessToken);
  if (nonce !== undefined) claims.nonce = nonce;
  return await new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: key.publicJwk })
    .setIssuedAt(Math.floor(now / 1000))
    .setJti(crypto.randomUUID())
    .sign(key.privateKey);
}

/**
 * The nonce a resource server demands (RFC 9449 §9): a 401 whose `WWW-Authenticate` says
 * `DPoP error="use_dpop_nonce"` and which carries a `DPoP-Nonce` header; otherwise undefined.
 */
export function nonceChallenge(response: Response): string | undefined {
  if (response.status !== 401) return undefined;
  const challenge = response.headers.get("www-authenticate") ?? "";
  if (!/\bDPoP\b/i.test(challenge) || !/error\s*=\s*"?use_dpop_nonce"?/i.test(challenge)) {
    return undefined;
  }
  return response.headers.get("dpop-nonce") ?? undefined;
}

/** Whether a token type is DPoP's (compared without case, RFC 9449 §5). */
export function isDpopType(tokenType: string): boolean {
  return tokenType.toLowerCase() === "dpop";
}
