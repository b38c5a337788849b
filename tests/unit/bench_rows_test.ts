/**
 * The benchmark's report (scripts/bench/rows.ts, report.ts): medians, ratios of medians, targets
 * met or not, skipped and failed rows, the table and the JSON.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { attempt, measuredRow, skippedRow, summarize } from "../../scripts/bench/rows.ts";
import { renderJson, renderTable, type Report } from "../../scripts/bench/report.ts";

Deno.test("bench rows: summaries and ratios of medians", async (t) => {
  await t.step("median of odd and even counts, min, max", () => {
    assertEquals(summarize([3, 1, 2]), { median: 2, min: 1, max: 3, samples: 3 });
    assertEquals(summarize([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4, samples: 4 });
  });

  await t.step("a ratio target compares the subject's median to the baseline's", () => {
    const row = measuredRow({
      id: "x",
      name: "x",
      unit: "ms",
      samples: [30, 31, 29],
      baseline: { name: "bare", samples: [20, 21, 19] },
      target: { on: "ratio", op: "<=", value: 1.5 },
    });
    assertEquals(row.ratio, 1.5);
    assertEquals(row.met, true);
    assertEquals(row.targetText, "ratio <= 1.5x");
    assertEquals(row.values, [30, 31, 29]);
    assertEquals(row.baseline?.values, [20, 21, 19]);
  });

  await t.step("an 'each' target needs every sample", () => {
    const row = measuredRow({
      id: "n",
      name: "n",
      unit: "requests",
      samples: [1, 2, 1],
      target: { on: "each", op: "=", value: 1 },
    });
    assertEquals(row.met, false);
    assertEquals(row.ratio, null);
  });

  await t.step("a 'max' target looks at the worst sample", () => {
    const row = measuredRow({
      id: "m",
      name: "m",
      unit: "MB",
      samples: [80, 99, 101],
      target: { on: "max", op: "<", value: 100 },
    });
    assertEquals(row.met, false);
  });

  await t.step("no target: met is null", () => {
    assertEquals(measuredRow({ id: "r", name: "r", unit: "ms", samples: [1] }).met, null);
  });
});

Deno.test("bench rows: a measurement that throws becomes a row with the error", async () => {
  const spec = { id: "e", name: "e", unit: "ms" };
  const row = await attempt(spec, () => Promise.reject(new Error("lmi exited with 4")));
  assertEquals(row.error, "lmi exited with 4");
  assertEquals([row.median, row.met, row.skipped], [null, null, undefined]);
});

Deno.test("bench report: the table and the JSON carry the same rows", () => {
  const report: Report = {
    run: {
      mode: "quick",
      command: "deno task bench --quick",
      startedAt: "2026-01-01T00:00:00.000Z",
      durationS: 12.3,
      deno: "2.9.6",
      os: "linux-x86_64",
      cpus: 2,
      loadavgStart: [1, 1, 1],
      loadavgEnd: [2, 2, 2],
      settings: { rounds: 3 },
      note: "ratios of medians",
    },
    rows: [
      measuredRow({
        id: "a",
        name: "warm auth token: wall time",
        unit: "ms",
        samples: [40.123456, 41, 39],
        baseline: { name: "bare deno", samples: [25, 26, 24] },
        target: { on: "ratio", op: "<=", value: 1.5 },
      }),
      skippedRow({ id: "p", name: "peer: gh", unit: "ms" }, "gh not installed"),
    ],
  };
  const table = renderTable(report);
  for (const column of ["row", "median", "min", "max", "ratio", "target", "met"]) {
    assertStringIncludes(table, column);
  }
  assertStringIncludes(table, "warm auth token: wall time");
  assertStringIncludes(table, "1.60x");
  assertStringIncludes(table, "NO");
  assertStringIncludes(table, "peer: gh: skipped: gh not installed");
  const json = JSON.parse(renderJson(report));
  assertEquals(json.rows.length, 2);
  assertEquals(json.rows[0].values[0], 40.123);
  assert(json.rows[1].skipped === "gh not installed");
});
