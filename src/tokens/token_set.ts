/**
 * The cached form of a service token and the pure rules about it: fingerprint, parsing a cache
 * file. Freshness (the refresh margin) is src/tokens/margin.ts.
 *
 * @module
 */
import type { ResolvedAuth } from "../config/resolve.ts";
import { sha256Hex } from "../util/sha256.ts";

export const CACHE_VERSION = 1;

/** What `<cache>/lmi/tokens/<env>.json` holds. Times are ISO 8601 UTC. */
export interface CachedToken {
  version: number;
  fingerprint: string;
  access_token: string;
  token_type: string;
  expires_at: string;
  scope?: string;
  refresh_token?: string;
  obtained_at: string;
  /** Whether the access token verified when obtained (then it must verify on every read). */
  verified?: boolean;
  /** The client authentication method that worked, when it was chosen automatically. */
  client_auth?: string;
  /** DPoP: the thumbprint (RFC 7638) of the key the token is bound to. */
  dpop_jkt?: string;
  /**
   * When the access token verified: the check's inputs, it and the keys it verified with
   * (src/tokens/signature_memo.ts), so a read with the same keys checks only its claims.
   */
  signature_memo?: string;
}

/**
 * A hash of everything that decides which token the IdP issues: auth type, issuer/token_url,
 * client id, scopes, audience, resource, plus the extra params and (password grant) the
 * username variable's value, and for workload identity the subject token's source (kind, file
 * path, variable name, audience) and type, never the token itself, and the client certificate's
 * path (never its key). A different fingerprint means the cached token is not for this config.
 */
export function fingerprint(auth: ResolvedAuth): string {
  const material = JSON.stringify([
    auth.type,
    auth.issuer ?? null,
    auth.tokenUrl ?? null,
    auth.clientId ?? null,
    [...auth.scopes].sort(),
    auth.audience ?? null,
    auth.resource ?? null,
    Object.entries(auth.extraParams).sort(([a], [b]) => a.localeCompare(b)),
    auth.username?.value ?? null,
    // Appended only when set, so the fingerprints of other envs stay as they were.
    ...(auth.subjectToken ? [subjectMaterial(auth)] : []),
    // mTLS: the certificate's path (a certificate-bound token is for that certificate), never
    // the key; tokens bound to a certificate replaced in place get one 401 and a new token.
    ...(auth.clientCert ? [["client_cert", auth.clientCert.certFile]] : []),
    ...(auth.dpop ? ["dpop"] : []),
  ]);
  return "sha256:" + sha256Hex(material);
}

function subjectMaterial(auth: ResolvedAuth): unknown[] {
  const s = auth.subjectToken!;
  const where = s.kind === "file"
    ? s.path
    : s.kind === "env"
    ? s.token.variable
    : s.audience ?? null;
  return ["subject", s.kind, where, auth.subjectTokenType ?? null, auth.clientAuth];
}

/** A JSON object from text, or why it is not one. */
export function parseJsonObject(
  text: string,
): Record<string, unknown> | { invalid: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { invalid: "not valid JSON" };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return { invalid: "not a JSON object" };
  }
  return data as Record<string, unknown>;
}

/** Parse one cache entry's text. Returns a reason string when it is not a valid cache entry. */
export function parseCachedToken(text: string): CachedToken | { invalid: string } {
  const d = parseJsonObject(text);
  return isInvalid(d) ? d : cachedTokenFrom(d);
}

/** Whether a parse result is the "why not" answer. */
export function isInvalid<T>(value: T | { invalid: string }): value is { invalid: string } {
  return typeof (value as { invalid?: unknown }).invalid === "string";
}

/** Check a parsed cache entry. */
export function cachedTokenFrom(d: Record<string, unknown>): CachedToken | { invalid: string } {
  if (d.version !== CACHE_VERSION) {
    return { invalid: `unsupported version ${JSON.stringify(d.version)}` };
  }
  for (const key of ["fingerprint", "access_token", "token_type", "expires_at", "obtained_at"]) {
    if (typeof d[key] !== "string" || d[key] === "") return { invalid: `missing ${key}` };
  }
  if (d.verified !== undefined && typeof d.verified !== "boolean") {
    return { invalid: "bad verified" };
  }
  for (const key of ["scope", "refresh_token", "client_auth", "dpop_jkt", "signature_memo"]) {
    if (d[key] !== undefined && typeof d[key] !== "string") return { invalid: `bad ${key}` };
  }
  if (Number.isNaN(Date.parse(d.expires_at as string))) return { invalid: "bad expires_at" };
  return d as unknown as CachedToken;
}

/** Is this string a compact JWS (three base64url parts)? */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token) && token.startsWith("eyJ");
}

/** The `exp` claim of a JWT without verifying it, in ms; undefined when absent or unreadable. */
export function jwtExpiry(token: string): number | undefined {
  try {
    const payload = token.split(".")[1]!;
    const json = atob(
      payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "="),
    );
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
