/**
 * The rows of the benchmark report: samples summarised as median, min and max, a ratio against
 * a baseline measured in the same run, and a target that is met or not. Pure: no I/O.
 *
 * @module
 */

/** What a target compares: the ratio of medians, the median itself, or every sample. */
export type TargetOn = "ratio" | "median" | "max" | "each";
export type TargetOp = "<=" | ">=" | "<" | "=";

export interface Target {
  on: TargetOn;
  op: TargetOp;
  value: number;
}

export interface Summary {
  median: number;
  min: number;
  max: number;
  samples: number;
}

/** One line of the report, as written to results.json. */
export interface Row {
  /** Stable id, e.g. "startup.auth_token.wall". */
  id: string;
  /** What is measured, for people. */
  name: string;
  unit: string;
  /** The subject's samples; null when the row was skipped or failed. */
  median: number | null;
  min: number | null;
  max: number | null;
  samples: number;
  /** Every sample, in the order taken. */
  values: number[];
  baseline: (Summary & { name: string; values: number[] }) | null;
  /** Subject median over baseline median; for throughputs, higher is better. */
  ratio: number | null;
  target: Target | null;
  /** The target in words ("ratio <= 1.5"), or null when the row only reports. */
  targetText: string | null;
  /** Whether the target was met; null without a target or without numbers. */
  met: boolean | null;
  /** Why the row was not measured (an absent peer tool, say). */
  skipped?: string;
  /** Why the measurement broke (the subject failed); the run then exits 1. */
  error?: string;
  note?: string;
}

export function summarize(xs: readonly number[]): Summary {
  if (xs.length === 0) throw new RangeError("no samples to summarize");
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, samples: sorted.length };
}

function compare(x: number, op: TargetOp, value: number): boolean {
  switch (op) {
    case "<=":
      return x <= value;
    case ">=":
      return x >= value;
    case "<":
      return x < value;
    case "=":
      return x === value;
  }
}

export function targetText(target: Target, unit: string): string {
  const value = target.on === "ratio" ? `${target.value}x` : `${target.value} ${unit}`;
  return `${target.on} ${target.op} ${value}`;
}

/** What a row is, before it is measured. */
export interface RowSpec {
  id: string;
  name: string;
  unit: string;
  target?: Target;
}

export interface MeasuredRow extends RowSpec {
  samples: readonly number[];
  baseline?: { name: string; samples: readonly number[] };
  note?: string;
}

/** A row from its samples (and its baseline's), with the ratio and the target checked. */
export function measuredRow(m: MeasuredRow): Row {
  const s = summarize(m.samples);
  const b = m.baseline
    ? { name: m.baseline.name, ...summarize(m.baseline.samples), values: [...m.baseline.samples] }
    : null;
  const ratio = b && b.median !== 0 ? s.median / b.median : null;
  let met: boolean | null = null;
  if (m.target) {
    const t = m.target;
    switch (t.on) {
      case "ratio":
        met = ratio === null ? null : compare(ratio, t.op, t.value);
        break;
      case "median":
        met = compare(s.median, t.op, t.value);
        break;
      case "max":
        met = compare(s.max, t.op, t.value);
        break;
      case "each":
        met = m.samples.every((x) => compare(x, t.op, t.value));
        break;
    }
  }
  return {
    id: m.id,
    name: m.name,
    unit: m.unit,
    median: s.median,
    min: s.min,
    max: s.max,
    samples: s.samples,
    values: [...m.samples],
    baseline: b,
    ratio,
    target: m.target ?? null,
    targetText: m.target ? targetText(m.target, m.unit) : null,
    met,
    ...(m.note !== undefined ? { note: m.note } : {}),
  };
}

/** A row that was not measured, with the reason (and its target, so the report shows it). */
export function skippedRow(spec: RowSpec, reason: string): Row {
  const { id, name, unit, target } = spec;
  return {
    id,
    name,
    unit,
    median: null,
    min: null,
    max: null,
    samples: 0,
    values: [],
    baseline: null,
    ratio: null,
    target: target ?? null,
    targetText: target ? targetText(target, unit) : null,
    met: null,
    skipped: reason,
  };
}

/** A row whose measurement broke. */
export function failedRow(spec: RowSpec, error: string): Row {
  const { skipped: _skipped, ...row } = skippedRow(spec, "");
  return { ...row, error };
}

/** `measure` gives the row; if it throws, the row records the error instead. */
export async function attempt(spec: RowSpec, measure: () => Promise<Row>): Promise<Row> {
  try {
    return await measure();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return failedRow(spec, message);
  }
}
