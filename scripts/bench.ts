/**
 * `deno task bench [--quick] [--out PATH] [--only GROUP,...]`: lmi's performance as ratios
 * against baselines measured in the same run, round by round (baseline and subject alternate),
 * never as absolute times. Prints a table on stdout and writes the same rows as JSON (default
 * bench/results.json). Exit status 1 when a row could not be measured; targets that are not met
 * are reported, not failed.
 *
 * Groups (scripts/bench/): startup (warm auth token, exec-credential, request against bare
 * Deno), library (createClient().fetch against plain fetch; concurrent requests across token
 * expiry), stream (lmi request against curl, peak RSS), cold (50 parallel cold calls, overhead
 * over curl), peers (gh, oidc-token against bare Deno).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join, resolve } from "node:path";
import { REPO } from "./run_lmi.ts";
import { coldRows } from "./bench/cold.ts";
import { expiryRows, throughputRow } from "./bench/library.ts";
import { peerRows } from "./bench/peers.ts";
import { killRunning } from "./bench/proc.ts";
import { renderJson, renderTable, type Report } from "./bench/report.ts";
import type { Row } from "./bench/rows.ts";
import { startupRows } from "./bench/startup.ts";
import { streamRows } from "./bench/stream.ts";
import { createWorld, type World } from "./bench/world.ts";

const SETTINGS = {
  quick: {
    startupRounds: 5,
    peerRounds: 5,
    libraryRequests: 300,
    libraryRounds: 3,
    expiryRounds: 1,
    streamBytes: 64_000_000,
    streamRounds: 3,
    coldRounds: 1,
  },
  full: {
    startupRounds: 30,
    peerRounds: 20,
    libraryRequests: 10_000,
    libraryRounds: 9,
    expiryRounds: 3,
    streamBytes: 1_000_000_000,
    streamRounds: 5,
    coldRounds: 5,
  },
};

export const GROUPS = ["startup", "library", "stream", "cold", "peers"] as const;
type Group = typeof GROUPS[number];

function usage(): string {
  return `usage: deno task bench [--quick] [--out PATH] [--only ${GROUPS.join(",")}]`;
}

async function runGroup(group: Group, world: World, s: typeof SETTINGS.full): Promise<Row[]> {
  switch (group) {
    case "startup":
      return await startupRows(world, s.startupRounds);
    case "library":
      return [
        await throughputRow(world, s.libraryRequests, s.libraryRounds),
        ...await expiryRows(world, s.expiryRounds),
      ];
    case "stream":
      return await streamRows(world, s.streamBytes, s.streamRounds);
    case "cold":
      return await coldRows(world, s.coldRounds);
    case "peers":
      return await peerRows(world, s.peerRounds);
  }
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      out: { type: "string" },
      only: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(usage());
    return 0;
  }
  const groups = values.only ? values.only.split(",").map((g) => g.trim()) : [...GROUPS];
  const unknown = groups.filter((g) => !(GROUPS as readonly string[]).includes(g));
  if (unknown.length) {
    console.error(`bench: unknown group ${unknown.join(", ")}\n${usage()}`);
    return 2;
  }
  const mode = values.quick ? "quick" : "full";
  const settings = SETTINGS[mode];
  const out = resolve(values.out ?? join(REPO, "bench", "results.json"));

  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const loadavgStart = Deno.loadavg();
  const rows: Row[] = [];
  const world = await createWorld();
  // Stopped from outside: stop the helper processes and servers and remove the folder first.
  const stop = async () => {
    console.error("bench: interrupted, cleaning up");
    await killRunning();
    await world.close();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    for (const group of groups as Group[]) {
      console.error(`bench: ${group}…`);
      rows.push(...await runGroup(group, world, settings));
    }
  } finally {
    await world.close();
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
  const report: Report = {
    run: {
      mode,
      command: `deno task bench${values.quick ? " --quick" : ""}${
        values.only ? ` --only ${values.only}` : ""
      }`,
      startedAt,
      durationS: (performance.now() - t0) / 1000,
      deno: Deno.version.deno,
      os: `${Deno.build.os}-${Deno.build.arch}`,
      cpus: navigator.hardwareConcurrency,
      loadavgStart,
      loadavgEnd: Deno.loadavg(),
      settings,
      note: "Ratios compare medians of the same run, baseline and subject alternating each " +
        "round; absolute figures depend on the machine and its load.",
    },
    rows,
  };
  console.log(renderTable(report));
  await Deno.mkdir(dirname(out), { recursive: true });
  await Deno.writeTextFile(out, renderJson(report));
  console.error(`bench: wrote ${out}`);
  return rows.some((r) => r.error !== undefined) ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
