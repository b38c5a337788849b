/**
 * Verifying JWTs with jose: signature against the issuer's JWKS (cached beside the tokens as
 * `<env>.jwks.json`, refetched once on an unknown `kid`), `iss`, `exp`/`nbf` with a small clock
 * tolerance, and `aud` when one is expected. Access tokens are addressed to the API, not to this
 * client, so one this client cannot verify is opaque unless the rules are strict (DESIGN.md →
 * Tokens, `verify_access_token`). Opaque tokens rely on `expires_in`.
 *
 * @module
 */
import { loadJoseVerify } from "../deps.ts";
import type { Logger } from "../ui/log.ts";
import { readPrivateFileSync, unsafeFileWarning, writeFileAtomic } from "./files.ts";
import { looksLikeJwt } from "./token_set.ts";
import type { ResolvedAuth } from "../config/resolve.ts";
import { base64urlBytes, claimsPass, CLOCK_TOLERANCE_S, signatureMemo } from "./signature_memo.ts";
import { issuerForms, sameIssuer } from "../util/issuer.ts";
import type { CacheKey } from "../util/cache_key.ts";
import { sameMac } from "../util/hmac.ts";

export { CLOCK_TOLERANCE_S };

/** Issuers whose keys one env's JWKS file keeps (as many as the token cache's configurations). */
const MAX_ISSUERS = 8;

export interface JwksCacheEntry {
  /**
   * The issuer the env's config names (discovery input); another issuer in the config is a
   * cache miss (the same one with or without its trailing slash is not).
   */
  config_issuer?: string;
  /** The issuer discovery validated: tokens are checked against it. */
  issuer: string;
  jwks_uri: string;
  keys: Record<string, unknown>[];
  fetched_at: string;
}

export interface IssuerKeys {
  issuer: string;
  jwks_uri: string;
}

export type Verdict =
  | {
    ok: true;
    verified: boolean;
    exp?: number;
    note?: string;
    /** The verified token's claims (only when `verified`). */
    claims?: Record<string, unknown>;
    /**
     * Only when `verified` and there is a cache key: the token's signature memo
     * (src/tokens/signature_memo.ts), to store with it so that later reads need not check the
     * signature again.
     */
    memo?: string;
  }
  | { ok: false; reason: string };

export interface VerifierOptions {
  /** `<env>.jwks.json`, or undefined when there is no usable cache folder. */
  path: string | undefined;
  /**
   * Download the issuer's key set (src/tokens/jwks_fetch.ts does, through the env's transport):
   * the network side, which the caller provides so that verifying against cached keys loads none
   * of it.
   */
  fetchJwks(keys: IssuerKeys): Promise<Record<string, unknown>[]>;
  now(): number;
  log: Logger;
  /** Where the issuer's keys are, found by discovery; undefined when the env has no issuer. */
  issuerKeys(): Promise<IssuerKeys | undefined>;
  /**
   * The issuer the config names: a cached JWKS for another issuer is not used, and a token whose
   * `iss` is another issuer is not verified (it is opaque, or fails under strict rules).
   */
  configIssuer?: string | undefined;
  /** No network (status commands): without cached keys a token is "not checked", not invalid. */
  offline?: boolean;
  /**
   * The user's cache key, which signature memos are MACs under (src/tokens/signature_memo.ts).
   * Without it no memo is read or made. Its `readOrCreate` makes the key for a verdict's memo:
   * give a read-only key (`readOnlyKey`) where no memo is stored (the warm path, status).
   */
  cacheKey?: CacheKey | undefined;
}

/** A verifier bound to one env's JWKS cache file. */
export function createVerifier(options: VerifierOptions) {
  const { path, log } = options;
  let memory: JwksCacheEntry | undefined;

  /** Every issuer's keys in the file (two projects' envs of one name may use two issuers). */
  function readFile(): JwksCacheEntry[] {
    if (!path) return [];
    const read = readPrivateFileSync(path);
    if (read.state === "unsafe") log.warnOnce(`unsafe:${path}`, unsafeFileWarning(path, read.why));
    if (read.state === "error") log.info(`ignoring unreadable JWKS cache ${path}`);
    if (read.state !== "ok") return [];
    try {
      const data = JSON.parse(read.text) as { issuers?: unknown };
      // lmi before 0.2 wrote one entry as the whole file
      const list = Array.isArray(data.issuers) ? data.issuers : [data];
      return list.filter((e): e is JwksCacheEntry =>
        typeof e?.issuer === "string" && typeof e.jwks_uri === "string" && Array.isArray(e.keys)
      );
    } catch {
      log.info(`ignoring unreadable JWKS cache ${path}`);
      return [];
    }
  }

  /** Whether a JWKS entry was cached for the issuer the config names. */
  function sameConfigIssuer(cached: string | undefined): boolean {
    const configured = options.configIssuer;
    return cached === undefined || configured === undefined
      ? cached === configured
      : sameIssuer(cached, configured);
  }

  function readEntry(): JwksCacheEntry | undefined {
    return memory ??= readFile().find((e) => sameConfigIssuer(e.config_issuer));
  }

  async function fetchEntry(keys: IssuerKeys): Promise<JwksCacheEntry> {
    const fetched = await options.fetchJwks(keys);
    const entry: JwksCacheEntry = {
      ...(options.configIssuer ? { config_issuer: options.configIssuer } : {}),
      issuer: keys.issuer,
      jwks_uri: keys.jwks_uri,
      keys: fetched,
      fetched_at: new Date(options.now()).toISOString(),
    };
    memory = entry;
    if (path) {
      const others = readFile().filter((e) => !sameConfigIssuer(e.config_issuer));
      const file = { issuers: [entry, ...others].slice(0, MAX_ISSUERS) };
      await writeFileAtomic(path, JSON.stringify(file, null, 2) + "\n").catch((err) =>
        log.info(`could not cache the JWKS at ${path}: ${err instanceof Error ? err.message : err}`)
      );
    }
    return entry;
  }

  return {
    /**
     * Verify `token` when it is a JWT. A token that cannot be verified by this client (not a
     * JWT, no `iss`, another issuer, a key the issuer does not publish, a signature that does not
     * verify, an algorithm lmi cannot check) fails under `rules.strict` and is otherwise opaque,
     * with a note.
     * An expired token, or one without the expected audience, always fails.
     *
     * `memo`: the signature memo stored with the token when it verified before; when it matches
     * the token and the cached keys, only the claims are checked (on every read), not the
     * signature again.
     */
    async verify(token: string, rules: VerifyRules, memo?: string): Promise<Verdict> {
      const unverifiable = (note: string): Verdict =>
        rules.strict ? { ok: false, reason: note } : { ok: true, verified: false, note };
      // Strict rules take only what verifies: an opaque token cannot (DESIGN.md → Tokens).
      if (!looksLikeJwt(token)) {
        return rules.strict
          ? { ok: false, reason: "it is not a JWT, so lmi cannot verify it" }
          : { ok: true, verified: false, note: "not a JWT" };
      }
      const header = decodePart(token, 0);
      const claims = decodePart(token, 1);
      if (!header || !claims) return unverifiable("its header or claims are not JSON");
      if (options.configIssuer !== undefined) {
        if (typeof claims.iss !== "string") return unverifiable("it has no iss claim");
        if (!sameIssuer(claims.iss, options.configIssuer)) {
          return unverifiable(
            `its iss ${JSON.stringify(claims.iss)} is not the issuer ${options.configIssuer}`,
          );
        }
      }
      let entry = readEntry();
      let refetched = false;
      const notChecked: Verdict = {
        ok: true,
        verified: false,
        note: "not checked: no cached keys for the issuer",
      };
      if (!entry && options.offline) return notChecked;
      if (!entry) {
        const keys = await options.issuerKeys();
        if (!keys) {
          return unverifiable("the issuer publishes no keys (no jwks_uri) to check it with");
        }
        entry = await fetchEntry(keys);
        refetched = true;
      }
      const kid = typeof header.kid === "string" ? header.kid : undefined;
      if (kid !== undefined && !hasKid(entry, kid) && options.offline) return notChecked;
      if (kid !== undefined && !hasKid(entry, kid) && !refetched) {
        log.info("token signed with a key not in the cached JWKS; fetching the JWKS again");
        entry = await fetchEntry((await options.issuerKeys()) ?? entry);
        refetched = true;
      }
      if (kid !== undefined && !hasKid(entry, kid)) {
        return unverifiable(`it is signed with a key (kid ${kid}) the issuer does not publish`);
      }
      const claimRules = {
        issuer: entry.issuer,
        audience: rules.audience ? rules.audience : undefined,
        now: options.now(),
      };
      const memoKey = memo === undefined ? undefined : options.cacheKey?.read();
      if (
        memo !== undefined && memoKey &&
        sameMac(memo, signatureMemo(token, kid, entry.keys, memoKey))
      ) {
        const passed = claimsPass(token, claimRules);
        if (passed) {
          return {
            ok: true,
            verified: true,
            claims: passed,
            ...(passed.exp ? { exp: (passed.exp as number) * 1000 } : {}),
            memo,
          };
        }
      }
      const jose = await loadJoseVerify();
      let payload: Record<string, unknown> & { exp?: number };
      try {
        ({ payload } = await jose.jwtVerify(
          token,
          jose.createLocalJWKSet({ keys: entry.keys }),
          {
            // As claimsPass compares: the issuer discovery validated, with or without its slash.
            issuer: issuerForms(claimRules.issuer),
            ...(claimRules.audience ? { audience: claimRules.audience } : {}),
            clockTolerance: CLOCK_TOLERANCE_S,
            currentDate: new Date(claimRules.now),
          },
        ));
      } catch (err) {
        const e = err as { code?: string; claim?: string };
        const always = e.code === "ERR_JWT_EXPIRED" ||
          (e.code === "ERR_JWT_CLAIM_VALIDATION_FAILED" && e.claim !== "iss");
        return always ? { ok: false, reason: describe(err) } : unverifiable(describe(err));
      }
      // The memo is a MAC under the user's cache key, made here on first use (a read-only key
      // makes none: the warm path and status store no memo).
      const sealKey = await options.cacheKey?.readOrCreate((m) => log.warnOnce(m, m));
      return {
        ok: true,
        verified: true,
        claims: payload,
        ...(payload.exp ? { exp: payload.exp * 1000 } : {}),
        ...(sealKey ? { memo: signatureMemo(token, kid, entry.keys, sealKey) } : {}),
      };
    },
  };
}

/** The env settings that decide how its access tokens are verified. */
export type AccessTokenPolicy = Pick<ResolvedAuth, "verifyAccessToken" | "expectedAudience">;

/** How strictly to verify. */
export interface VerifyRules {
  /** The `aud` the token must carry (an ID token: the client id; an access token: expected_audience). */
  audience?: string | string[] | undefined;
  /**
   * True: a token this client cannot verify is a failure (ID tokens, `verify_access_token =
   * "always"`, a cached token that verified when it was obtained). False: it is opaque.
   */
  strict: boolean;
}

/** The rules for a new access token, or undefined when it is not verified (`never`). */
export function rulesForNew(auth: AccessTokenPolicy): VerifyRules | undefined {
  if (auth.verifyAccessToken === "never") return undefined;
  return { audience: auth.expectedAudience, strict: auth.verifyAccessToken === "always" };
}

/**
 * The rules for a cached access token: one that verified when obtained must verify again
 * (entries written before `verified` was recorded were all verified); one that did not is opaque
 * (undefined), unless the env now says `always`.
 */
export function rulesForCached(
  auth: AccessTokenPolicy,
  verifiedThen: boolean | undefined,
): VerifyRules | undefined {
  if (auth.verifyAccessToken === "never") return undefined;
  if (verifiedThen === false && auth.verifyAccessToken === "auto") return undefined;
  return { audience: auth.expectedAudience, strict: true };
}

function hasKid(entry: JwksCacheEntry, kid: string): boolean {
  return entry.keys.some((k) => k.kid === kid);
}

/** A JWT's header (0) or payload (1) as an object, unverified; undefined when unreadable. */
function decodePart(token: string, index: 0 | 1): Record<string, unknown> | undefined {
  try {
    const part = token.split(".")[index]!;
    const bytes = base64urlBytes(part);
    const value = JSON.parse(new TextDecoder().decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export type Verifier = ReturnType<typeof createVerifier>;

function describe(err: unknown): string {
  const e = err as { code?: string; claim?: string; message?: string };
  switch (e.code) {
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "its signature does not verify with the issuer's published keys";
    case "ERR_JWT_EXPIRED":
      return "token has expired (exp)";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      if (e.claim === "nbf" || e.claim === "iat") {
        return `token is not valid yet (${e.claim}); is this machine's clock behind?`;
      }
      return `claim ${e.claim} check failed: ${e.message}`;
    case "ERR_JWKS_NO_MATCHING_KEY":
      return "no key in the issuer's JWKS matches the token";
    case "ERR_JOSE_ALG_NOT_ALLOWED":
    case "ERR_JOSE_NOT_SUPPORTED":
      return "it is signed with an algorithm lmi cannot check with the issuer's keys";
    default:
      return e.message ?? String(err);
  }
}
