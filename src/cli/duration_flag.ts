/**
 * Duration flags (`--min-ttl`, `--timeout`): parsed and refused the same way by every command.
 *
 * @module
 */
import {
  DURATION_HINT,
  type DurationRange,
  inRange,
  MARGIN_RANGE,
  parseDuration,
  rangeHint,
  TIMEOUT_RANGE,
} from "../config/duration.ts";
import { q, UsageError } from "../errors.ts";

/** What each duration flag accepts: `--timeout` bounds a wait, `--min-ttl` a token's lifetime. */
const FLAG_RANGES: Record<string, DurationRange> = {
  timeout: TIMEOUT_RANGE,
  "min-ttl": MARGIN_RANGE,
};

/**
 * The duration given as `--NAME`, in milliseconds, or `fallbackMs` when the flag is absent.
 * Throws a `UsageError` when the value is not a duration, is zero and `positive` is set, or lies
 * outside the flag's range (`--timeout` 1s to 24h, others 0s to 24h).
 *
 * @example `durationFlag(flags, "min-ttl", 0)`
 */
export function durationFlag<K extends string>(
  flags: { readonly [F in K]: string | undefined },
  name: K,
  fallbackMs: number,
  { positive = false }: { positive?: boolean } = {},
): number {
  const text = flags[name];
  if (text === undefined) return fallbackMs;
  const ms = parseDuration(text);
  if (ms === undefined || (positive && ms <= 0)) {
    throw new UsageError("BAD_FLAG_VALUE", `--${name}: invalid duration ${q(text)}`, {
      hint: `write ${DURATION_HINT}`,
    });
  }
  const range = FLAG_RANGES[name] ?? MARGIN_RANGE;
  if (!inRange(ms, range)) {
    throw new UsageError("BAD_FLAG_VALUE", `--${name}: out of range: ${q(text)}`, {
      hint: rangeHint(range),
    });
  }
  return ms;
}
