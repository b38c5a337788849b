/**
 * Rows 2: the library. Throughput of N sequential authenticated GETs through
 * `createClient().fetch` against plain `fetch` with a fixed header (target 0.9x or better); and
 * 200 concurrent GETs while the token expires, against an IdP issuing 3-second tokens (target:
 * exactly one token request, no failures). The client runs in its own process
 * (library_client.ts).
 *
 * @module
 */
import { join } from "node:path";
import { REPO } from "../run_lmi.ts";
import type { ExpiryJob, ExpiryResult, ThroughputJob, ThroughputResult } from "./library_client.ts";
import { ok, run } from "./proc.ts";
import { attempt, measuredRow, type Row, type RowSpec } from "./rows.ts";
import { ENV_NAME, envToml, startSite, type World } from "./world.ts";

const CLIENT = join(REPO, "scripts", "bench", "library_client.ts");

async function runClient<T>(
  world: World,
  job: ThroughputJob | ExpiryJob,
  env: Record<string, string>,
): Promise<T> {
  const out = ok(
    await run({
      cmd: Deno.execPath(),
      args: [
        "run",
        "--quiet",
        `--config=${join(REPO, "deno.json")}`,
        "--allow-all",
        CLIENT,
        JSON.stringify(job),
      ],
      env,
      cwd: world.home,
      stdout: "piped",
      limitMs: 300_000,
    }),
    `library client (${job.mode})`,
  );
  return JSON.parse(out.stdout.trim().split("\n").at(-1)!) as T;
}

export async function throughputRow(world: World, n: number, rounds: number): Promise<Row> {
  const spec: RowSpec = {
    id: "library.sequential_gets",
    name: `library: ${n} sequential GETs, createClient().fetch`,
    unit: "req/s",
    target: { on: "ratio", op: ">=", value: 0.9 },
  };
  return await attempt(spec, async () => {
    const r = await runClient<ThroughputResult>(world, {
      mode: "throughput",
      configPath: world.configPath,
      env: ENV_NAME,
      n,
      rounds,
      path: "/ok",
    }, world.env);
    if (r.failures > 0) throw new Error(`${r.failures} requests did not answer 200`);
    return measuredRow({
      ...spec,
      samples: r.subject,
      baseline: { name: "plain fetch", samples: r.baseline },
    });
  });
}

const TTL_S = 3;
const MARGIN_MS = 1000;

/** 200 concurrent requests across the token's expiry: token requests and failures. */
export async function expiryRows(
  world: World,
  rounds: number,
  count = 200,
): Promise<Row[]> {
  const tokenSpec: RowSpec = {
    id: "library.expiry.token_requests",
    name: `library: ${count} concurrent GETs as the token expires: token requests`,
    unit: "requests",
    target: { on: "each", op: "=", value: 1 },
  };
  const failSpec: RowSpec = {
    id: "library.expiry.failures",
    name: `library: ${count} concurrent GETs as the token expires: failures`,
    unit: "failures",
    target: { on: "each", op: "=", value: 0 },
  };
  const results: ExpiryResult[] = [];
  const idpCounts: number[] = [];
  let error: string | undefined;
  try {
    const site = await startSite({ accessTokenTtl: TTL_S });
    const pending = world.onClose(site.close);
    try {
      const configPath = join(world.home, "expiry.toml");
      await Deno.writeTextFile(
        configPath,
        envToml(site, `refresh_margin = "${MARGIN_MS / 1000}s"\n`),
      );
      for (let i = 0; i < rounds; i++) {
        site.idp.stats.reset();
        const r = await runClient<ExpiryResult>(world, {
          mode: "expiry",
          configPath,
          env: ENV_NAME,
          tokenUrl: site.idp.tokenUrl,
          count,
          // Every request outlives the launches, so all of them are in flight together.
          spreadMs: 400,
          slowMs: 2000,
          marginMs: MARGIN_MS,
        }, { ...world.env, LMI_CACHE_DIR: join(world.dir, `expiry-cache-${i}`) });
        if (r.launchedAfterExpiry === 0) {
          throw new Error("the burst ended before the token expired");
        }
        results.push(r);
        idpCounts.push(site.idp.stats.tokenRequests);
      }
    } finally {
      pending.drop();
      await site.close();
    }
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const measure = (spec: RowSpec, pick: (r: ExpiryResult) => number, note: string) =>
    attempt(spec, () => {
      if (error !== undefined) throw new Error(error);
      return Promise.resolve(measuredRow({ ...spec, samples: results.map(pick), note }));
    });
  const launched = results.map((r) => r.launchedAfterExpiry).join(", ");
  const inFlight = results.map((r) => r.maxInFlight).join(", ");
  const errors = [...new Set(results.flatMap((r) => r.errors))].slice(0, 3).join("; ");
  return [
    await measure(
      tokenSpec,
      (r) => r.tokenRequests,
      `${TTL_S}s tokens, refresh_margin ${MARGIN_MS / 1000}s; launched after expiry per round: ` +
        `${launched}; most in flight: ${inFlight}; token requests at the IdP per round ` +
        `(the first token included): ${idpCounts.join(", ")}`,
    ),
    await measure(failSpec, (r) => r.failures, errors ? `failures: ${errors}` : "none failed"),
  ];
}
