/**
 * Duration flags (`--min-ttl`, `--timeout`): parsed and refused the same way by every command.
 *
 * @module
 */
import { DURATION_HINT, parseDuration } from "../config/duration.ts";
import { q, UsageError } from "../errors.ts";

/**
 * The duration given as `--NAME`, in milliseconds, or `fallbackMs` when the flag is absent.
 * Throws a `UsageError` when the value is not a duration, or is zero and `positive` is set.
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
  return ms;
}
