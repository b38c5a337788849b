/**
 * The service-token fast path: a fresh cached token, read without the lock (cache files are
 * replaced whole, so what is read is some writer's whole file) and verified against the cached
 * keys. Shared by `getServiceToken` (service.ts), which takes the lock for anything else, and by
 * the warm `lmi auth token` (src/cli/warm.ts), which hands anything else to the full program.
 * It loads no protocol code: the verifier's network side is the caller's.
 *
 * @module
 */
import type { DpopKey, TokenSet } from "../context.ts";
import type { ResolvedAuth, ResolvedEnv } from "../config/resolve.ts";
import { formatDuration } from "../config/duration.ts";
import { q } from "../errors.ts";
import type { Logger } from "../ui/log.ts";
import type { TokenCache } from "./cache.ts";
import type { CachedToken } from "./token_set.ts";
import { isFresh, shortenedMarginNote, type StoredTimes } from "./margin.ts";
import { rulesForCached, type Verdict, type Verifier } from "./verify.ts";
import type { ServiceContext, ServiceTokenOptions } from "./service.ts";

/** The auth types whose tokens service.ts gets, caches and refreshes. */
export const SERVICE_TYPES = [
  "client_credentials",
  "password",
  "token_exchange",
  "jwt_bearer",
] as const;

export interface TokenOutcome {
  token: TokenSet;
  /** Where it came from. */
  from: "cache" | "refresh" | "grant";
  /** Whether the cache now holds it. */
  cached: boolean;
}

/** What the fast path needs from its caller. */
export interface QuickDeps {
  /** The env's verifier (made only when a fresh entry is there to verify). */
  verifier(): Verifier;
  /** DPoP envs: the stored key the entry is bound to, if any (without it, no fast path). */
  boundKey?(entry: CachedToken): Promise<DpopKey | undefined>;
  /**
   * Store `memo`, the signature memo jose's check just gave the entry's token, whose own memo was
   * missing or did not verify (an older lmi's, another user's key); the full program does, so
   * that the next read skips the check. The warm path writes nothing and gives none.
   */
  rememo?(entry: CachedToken, memo: string): Promise<void>;
}

/**
 * The cached token for this configuration (`fp`) when it is fresh enough for `options` and
 * verifies (a token that verified when obtained must verify again); undefined otherwise, with
 * nothing said: the caller goes on under the lock.
 */
export async function cachedServiceToken(
  env: ResolvedEnv,
  ctx: ServiceContext,
  cache: TokenCache,
  fp: string,
  options: ServiceTokenOptions,
  quick: QuickDeps,
): Promise<TokenOutcome | undefined> {
  const { deps, log } = ctx;
  const auth = env.auth;
  const entry = cache.peek(fp);
  registerTokens(log, entry);
  const key = entry && auth.dpop ? await quick.boundKey?.(entry) : undefined;
  if (
    !entry || entry.access_token === options.rejectedToken ||
    !isFresh(entry, deps.now(), auth.refreshMarginMs, options.minTtlMs) ||
    (auth.dpop && !key)
  ) {
    return undefined;
  }
  const verdict = await verifyCachedToken(quick.verifier(), auth, entry);
  if (!verdict.ok) return undefined;
  if (verdict.memo !== undefined && verdict.memo !== entry.signature_memo) {
    await quick.rememo?.(entry, verdict.memo);
  }
  log.info(
    `using the cached token for env ${q(env.name)} (valid for ${
      formatDuration(Date.parse(entry.expires_at) - deps.now())
    })`,
  );
  noteShortMargin(log, env, entry);
  return { token: fromCached(entry, key), from: "cache", cached: true };
}

/** At -v, one line when the env's token lives less than twice `refresh_margin`. */
export function noteShortMargin(log: Logger, env: ResolvedEnv, token: StoredTimes): void {
  const note = shortenedMarginNote(
    `the token for env ${q(env.name)}`,
    "refresh_margin",
    token,
    env.auth.refreshMarginMs,
  );
  if (note) log.info(note);
}

/** Verify a cached token: strictly when it verified when obtained, else per the env's mode. */
export function verifyCachedToken(
  verifier: Verifier,
  auth: ResolvedAuth,
  cached: CachedToken,
): Promise<Verdict> {
  const rules = rulesForCached(auth, cached.verified);
  return rules
    ? verifier.verify(cached.access_token, rules, cached.signature_memo)
    : Promise.resolve({ ok: true, verified: false, note: "not verified when obtained" });
}

/** Tokens read from the cache are redacted from everything printed from then on. */
export function registerTokens(log: Logger, entry: CachedToken | undefined): void {
  log.redactor.add(entry?.access_token);
  log.redactor.add(entry?.refresh_token);
}

/** The token set a cache entry holds (with its DPoP key when it is bound to `dpopKey`). */
export function fromCached(c: CachedToken, dpopKey?: DpopKey): TokenSet {
  const t: TokenSet = {
    accessToken: c.access_token,
    tokenType: c.token_type,
    expiresAt: Date.parse(c.expires_at),
    obtainedAt: Date.parse(c.obtained_at),
  };
  if (dpopKey && c.dpop_jkt === dpopKey.jkt) t.dpopKey = dpopKey;
  if (c.scope !== undefined) t.scope = c.scope;
  if (c.refresh_token !== undefined) t.refreshToken = c.refresh_token;
  return t;
}
