/**
 * When to retry an API request and how long to wait: idempotent methods only, on 429, 502, 503,
 * 504 and connection resets; capped exponential backoff with full jitter; `Retry-After` (seconds
 * or an HTTP date) honoured. Pure functions.
 *
 * @module
 */

export const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
export const RETRY_STATUSES = new Set([429, 502, 503, 504]);

export const BACKOFF_BASE_MS = 250;
export const BACKOFF_CAP_MS = 8_000;
/** The longest `Retry-After` lmi waits for; longer ones are not retried. */
export const RETRY_AFTER_CAP_MS = 60_000;

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/** Milliseconds a `Retry-After` header asks for, or undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Full-jitter backoff before retry number `attempt` (0-based). */
export function backoffMs(attempt: number, random: () => number): number {
  return Math.floor(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt));
}

/** Is this error a dropped connection worth retrying (reset, closed, broken pipe)? */
export function isConnectionReset(err: unknown): boolean {
  const text = err instanceof Error
    ? `${err.message} ${String((err as { cause?: unknown }).cause ?? "")}`
    : String(err);
  return /reset|connection closed|broken pipe|unexpected eof|incomplete message|ECONNRESET/i.test(
    text,
  );
}
