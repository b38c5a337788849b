/**
 * Durations in config and flags: `90s`, `5m`, `1h`, combinations such as `1h30m`, or a number of
 * seconds (`90` or `"90"`).
 *
 * @module
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/** Parse a duration to milliseconds, or return `undefined` when it is not one. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  }
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (text === "") return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== start) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return total;
}

/** A short human form: `45s`, `12m`, `3h05m`. */
export function formatDuration(ms: number): string {
  if (ms > 0 && ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(s / 3600);
  return `${h}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * A whole number of seconds as a duration lmi reads back exactly (a flag's or a key's value),
 * largest units first, zero parts left out: `5m`, `1h30m`, `1m30s`, `0s`.
 */
export function durationText(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const parts: [number, string][] = [[Math.floor(s / 3600), "h"], [
    Math.floor((s % 3600) / 60),
    "m",
  ], [s % 60, "s"]];
  return parts.filter(([n]) => n > 0).map(([n, unit]) => `${n}${unit}`).join("") || "0s";
}

export const DURATION_HINT = 'a duration like "90s", "5m", "1h" or a number of seconds';

/** The durations a setting accepts, in milliseconds, and how to say so. */
export interface DurationRange {
  min: number;
  max: number;
  text: string;
}

const DAY_MS = 86_400_000;

/**
 * Network timeouts (`timeout`, `login sso --timeout`): at least a second, at most a day (well
 * under 2^31 ms, the largest delay timers and `AbortSignal.timeout` take).
 */
export const TIMEOUT_RANGE: DurationRange = { min: 1000, max: DAY_MS, text: "1s to 24h" };

/** Margins on a token's lifetime (`refresh_margin`, `--min-ttl`): none up to a day. */
export const MARGIN_RANGE: DurationRange = { min: 0, max: DAY_MS, text: "0s to 24h" };

/** Whether `ms` lies in `range` (bounds included). */
export function inRange(ms: number, range: DurationRange): boolean {
  return ms >= range.min && ms <= range.max;
}

/** The hint for a duration out of `range`. */
export function rangeHint(range: DurationRange): string {
  return `write a duration from ${range.text}, like "90s", "5m" or "1h"`;
}
