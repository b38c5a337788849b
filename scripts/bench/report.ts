/**
 * The report: a plain-text table for people (stdout) and the same rows as JSON (results.json).
 * Pure: the caller writes the text.
 *
 * @module
 */
import type { Row } from "./rows.ts";

/** What the run was: mode, machine, when, how loaded; written beside the rows. */
export interface RunInfo {
  mode: "quick" | "full";
  /** How to run it again. */
  command: string;
  startedAt: string;
  durationS: number;
  deno: string;
  os: string;
  cpus: number;
  loadavgStart: number[];
  loadavgEnd: number[];
  settings: Record<string, number>;
  note: string;
}

export interface Report {
  run: RunInfo;
  rows: Row[];
}

function num(x: number | null, unit = ""): string {
  if (x === null || !Number.isFinite(x)) return "-";
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return `${x.toFixed(digits)}${unit}`;
}

function metText(row: Row): string {
  if (row.error !== undefined) return "ERROR";
  if (row.skipped !== undefined) return "skipped";
  if (row.met === null) return "-";
  return row.met ? "yes" : "NO";
}

/** The table: one line per row, then the notes (skips, errors, remarks) below it. */
export function renderTable(report: Report): string {
  const head = ["row", "unit", "median", "min", "max", "baseline", "ratio", "target", "met"];
  const lines: string[][] = [head];
  const notes: string[] = [];
  for (const row of report.rows) {
    const base = row.baseline ? `${num(row.baseline.median)} ${row.baseline.name}` : "-";
    lines.push([
      row.name,
      row.unit,
      num(row.median),
      num(row.min),
      num(row.max),
      base,
      row.ratio === null ? "-" : num(row.ratio, "x"),
      row.targetText ?? "-",
      metText(row),
    ]);
    if (row.skipped !== undefined) notes.push(`${row.name}: skipped: ${row.skipped}`);
    if (row.error !== undefined) notes.push(`${row.name}: error: ${row.error}`);
    if (row.note !== undefined) notes.push(`${row.name}: ${row.note}`);
  }
  const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const numeric = new Set([2, 3, 4, 6]);
  const text = lines.map((l) =>
    l.map((cell, i) => numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))
      .join("  ").trimEnd()
  );
  text.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  const r = report.run;
  const header = [
    `lmi bench (${r.mode}): ${r.startedAt}, ${
      r.durationS.toFixed(0)
    } s, Deno ${r.deno}, ${r.os}, ` +
    `${r.cpus} CPUs, load ${r.loadavgStart.map((x) => x.toFixed(2)).join(" ")} at start, ` +
    `${r.loadavgEnd.map((x) => x.toFixed(2)).join(" ")} at end`,
    r.note,
    "",
  ];
  return [...header, ...text, ...(notes.length ? ["", ...notes] : [])].join("\n");
}

/** The report as JSON, numbers to three decimals. */
export function renderJson(report: Report): string {
  const round = (_key: string, v: unknown) =>
    typeof v === "number" && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v;
  return JSON.stringify(report, round, 2) + "\n";
}
