/**
 * The signature memo: what lets a cached JWT that jose verified be read again without importing
 * keys and checking its signature once more, while its claims are still checked on every read.
 *
 * A JWS signature check (jose's `jwtVerify` with a local JWKS) is a pure function of two inputs:
 * the token and the key set (key selection by `kid`/`alg`/`use`, key import, the `crit`/`b64`
 * header rules, the signature itself); it reads no clock. So when jose has verified a token, lmi
 * stores beside it in the cache entry a MAC of those inputs: HMAC-SHA-256, under the per-user key
 * in `<data>/lmi/` (src/util/cache_key.ts), of one JSON text of this scheme (and jose's version),
 * the token, and the keys jose could select for it (those with the token's `kid`; all of them
 * when it has none: no other key takes part in the check). On a later read, the same MAC made
 * from the token and the keys now in the JWKS cache file means the very same check, which jose
 * already passed. Anything else (no memo, other keys, another token, another key or none) runs
 * jose as before.
 *
 * The time- and config-dependent part of verification, the claims (`iss`, `aud`, `exp`, `nbf`,
 * `iat`), is not memoised: {@link claimsPass} checks them on every read exactly as jose's
 * `validateClaimsSet` does with lmi's options, and a token it does not pass goes to jose, so the
 * reason given for a failure is jose's.
 *
 * Trust: the memo lives in lmi's private cache folder (0700, files 0600, refused when opened to
 * others), and a cache folder is what CI systems restore from elsewhere (actions/cache) or what
 * anyone who can write it may edit. Without the key, which stays in the user data folder, no one
 * can make a memo lmi accepts: a memo made under another key (another user's or machine's cache)
 * or for another token is a miss, and jose checks the token in full.
 *
 * @module
 */
import { sameIssuer } from "../util/issuer.ts";
import { hmacSha256Hex } from "../util/hmac.ts";

/**
 * Names what the memo stands for: the memo format and the jose version that did the check
 * (src/deps.ts pins the same version; a test keeps them equal). Changing it retires every memo.
 */
export const MEMO_SCHEME = "lmi signature memo 2, jose@6.2.17";

/** Accepted clock difference between lmi's machine and the IdP, in seconds. */
export const CLOCK_TOLERANCE_S = 30;

/**
 * The memo of `token` (whose header names `kid`, if any) checked against `keys`, the JWKS
 * entry's keys as read from the file, under `key`, the user's cache key: an HMAC-SHA-256 in hex.
 */
export function signatureMemo(
  token: string,
  kid: string | undefined,
  keys: readonly Record<string, unknown>[],
  key: Uint8Array,
): string {
  return hmacSha256Hex(key, memoInputs(token, kid, keys));
}

/** What the memo is a MAC of: the scheme, the token and the keys jose could select for it. */
export function memoInputs(
  token: string,
  kid: string | undefined,
  keys: readonly Record<string, unknown>[],
): string {
  const candidates = kid === undefined ? keys : keys.filter((k) => k.kid === kid);
  return JSON.stringify([MEMO_SCHEME, token, candidates]);
}

/** What the claims are checked against; the same values lmi gives jose's `jwtVerify`. */
export interface ClaimRules {
  /**
   * The JWKS entry's issuer, the one discovery validated; `iss` may differ from it by one
   * trailing slash (jose's `issuer` option gets both forms, src/util/issuer.ts).
   */
  issuer: string;
  /** jose's `audience` option; undefined when none is expected. */
  audience?: string | string[] | undefined;
  /** The current time in ms (jose's `currentDate`). */
  now: number;
}

/**
 * The token's claims when jose's claim validation (`validateClaimsSet` with `issuer`,
 * `audience`, `clockTolerance` {@link CLOCK_TOLERANCE_S} and `currentDate`) would accept them;
 * undefined when it would not, or when this check cannot tell (then jose decides).
 */
export function claimsPass(
  token: string,
  rules: ClaimRules,
): Record<string, unknown> | undefined {
  const claims = strictPayload(token);
  if (!claims) return undefined;
  if (
    !Object.hasOwn(claims, "iss") || typeof claims.iss !== "string" ||
    !sameIssuer(claims.iss, rules.issuer)
  ) return undefined;
  if (rules.audience !== undefined) {
    const wanted = typeof rules.audience === "string" ? [rules.audience] : rules.audience;
    const aud = claims.aud;
    if (!Object.hasOwn(claims, "aud")) return undefined;
    const present = typeof aud === "string"
      ? wanted.includes(aud)
      : Array.isArray(aud) && wanted.some((a) => aud.includes(a));
    if (!present) return undefined;
  }
  const now = Math.floor(rules.now / 1000);
  if (!Number.isFinite(now)) return undefined;
  const date = (name: string): number | null | undefined => {
    const value = claims[name];
    if (value === undefined) return undefined;
    return typeof value === "number" ? value : null;
  };
  const iat = date("iat");
  const nbf = date("nbf");
  const exp = date("exp");
  if (iat === null || nbf === null || exp === null) return undefined;
  if (nbf !== undefined && nbf > now + CLOCK_TOLERANCE_S) return undefined;
  if (exp !== undefined && exp <= now - CLOCK_TOLERANCE_S) return undefined;
  return claims;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The payload as a plain JSON object, decoded as strictly as jose decodes it. */
function strictPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    // Decoded as jose decodes it (lib/buffer_utils.js), strict UTF-8 as well.
    const bytes = base64urlBytes(parts[1]!);
    const value: unknown = JSON.parse(strictUtf8.decode(bytes));
    return typeof value === "object" && value !== null &&
        Object.getPrototypeOf(value) === Object.prototype
      ? value as Record<string, unknown>
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The bytes of base64url text (throws when it is not base64url), as jose decodes it:
 * `Uint8Array.fromBase64` where the runtime has it (Deno 2.9 does: no `atob`, whose first use
 * costs a warm run a millisecond), else `atob`.
 */
export function base64urlBytes(text: string): Uint8Array {
  if (typeof Uint8Array.fromBase64 === "function") {
    return Uint8Array.fromBase64(text, { alphabet: "base64url" });
  }
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new SyntaxError("not base64url");
  const bin = atob(
    text.replace(/-/g, "+").replace(/_/g, "/").padEnd(
      Math.ceil(text.length / 4) * 4,
      "=",
    ),
  );
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
