/**
 * Downloading an issuer's JWKS: the network side of verification (src/tokens/verify.ts keeps the
 * keys in the cache file and checks tokens). Callers hand it to `createVerifier` as `fetchJwks`,
 * loading this module only when keys must be fetched.
 *
 * @module
 */
import { assertSecureEndpoint } from "../http/transport.ts";
import { snippet } from "../oauth/errors.ts";
import { AuthError } from "../errors.ts";
import type { IssuerKeys } from "./verify.ts";

/** The keys at `keys.jwks_uri` (https, or http on loopback), fetched with `fetch`. */
export async function fetchJwks(
  keys: IssuerKeys,
  fetch: typeof globalThis.fetch,
): Promise<Record<string, unknown>[]> {
  assertSecureEndpoint(keys.jwks_uri, "jwks_uri");
  const res = await fetch(keys.jwks_uri, { headers: { accept: "application/json" } });
  const text = await res.text();
  let body: { keys?: unknown } | undefined;
  try {
    body = JSON.parse(text);
  } catch { /* reported below */ }
  if (!res.ok || !Array.isArray(body?.keys)) {
    const what = !res.ok ? `answered HTTP ${res.status}` : "returned no usable key set";
    throw new AuthError(
      "JWKS_UNAVAILABLE",
      `the IdP's JWKS at ${keys.jwks_uri} ${what}: ${snippet(text)}`,
      {
        hint:
          "lmi needs the issuer's signing keys to verify tokens; check the issuer URL and the IdP's health",
        status: res.status,
      },
    );
  }
  return body!.keys as Record<string, unknown>[];
}
