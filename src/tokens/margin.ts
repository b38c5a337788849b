/**
 * The refresh margin (DESIGN.md → Tokens): a token is used while `expires_at - now > margin`,
 * where the margin is the configured one (`refresh_margin`, or the SSO session's) but at most
 * half the token's lifetime as issued (`expires_at - obtained_at`). So a token shorter-lived
 * than twice the margin is still reused (a 30 s token for 15 s with the default 60 s), and a
 * process that waited for another's renewal uses the token it got instead of judging it "too
 * close to expiry" and asking again. Service tokens, the library's token in memory and SSO
 * sessions all take their margin from here. Pure: the caller passes the time.
 *
 * @module
 */
import { formatDuration } from "../config/duration.ts";

/** A stored token's times, ISO 8601 (a cache entry, an SSO session). */
export interface StoredTimes {
  expires_at: string;
  /** Absent or unreadable (written by something else than lmi): the configured margin holds. */
  obtained_at?: string | undefined;
}

/**
 * The margin for a token that expires at `expiresAt` and was obtained at `obtainedAt` (ms since
 * the epoch): `configuredMs`, or half the lifetime when that is shorter; never below 0. Without
 * a usable `obtainedAt`, `configuredMs`.
 */
export function refreshMarginMs(
  configuredMs: number,
  expiresAt: number,
  obtainedAt: number | undefined,
): number {
  const lifetime = obtainedAt === undefined ? NaN : expiresAt - obtainedAt;
  if (!Number.isFinite(lifetime)) return configuredMs;
  return Math.max(0, Math.min(configuredMs, lifetime / 2));
}

/** {@link refreshMarginMs} of a stored token. */
export function storedMarginMs(token: StoredTimes, configuredMs: number): number {
  const obtained = token.obtained_at === undefined ? undefined : Date.parse(token.obtained_at);
  return refreshMarginMs(configuredMs, Date.parse(token.expires_at), obtained);
}

/**
 * Whether a stored token (a cached service token, an SSO session) may be used at `now`: what is
 * left of it must exceed both its margin and the minimum TTL (`--min-ttl`).
 */
export function isFresh(
  token: StoredTimes,
  now: number,
  configuredMs: number,
  minTtlMs = 0,
): boolean {
  const left = Date.parse(token.expires_at) - now;
  return left > Math.max(storedMarginMs(token, configuredMs), minTtlMs);
}

/** Until when (ms since the epoch) a token may be used without asking again: expiry less margin. */
export function usableUntil(
  expiresAt: number,
  obtainedAt: number | undefined,
  configuredMs: number,
): number {
  return expiresAt - refreshMarginMs(configuredMs, expiresAt, obtainedAt);
}

/**
 * The -v line saying that a token's margin was shortened (its lifetime is less than twice the
 * configured margin), or undefined when it was not. `subject` names the token (`the token for
 * env "dev"`), `setting` the configured margin (`refresh_margin`).
 */
export function shortenedMarginNote(
  subject: string,
  setting: string,
  token: StoredTimes,
  configuredMs: number,
): string | undefined {
  const margin = storedMarginMs(token, configuredMs);
  if (margin >= configuredMs) return undefined;
  const lifetime = Date.parse(token.expires_at) - Date.parse(token.obtained_at!);
  return `${subject} was issued for ${formatDuration(lifetime)}, less than twice ${setting} (${
    formatDuration(configuredMs)
  }): it is renewed when ${formatDuration(margin)} are left, half its lifetime`;
}
