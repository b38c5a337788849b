/**
 * Rows 4: the cold cache. 50 parallel `lmi auth token` on an empty cache make exactly one token
 * request at the IdP and all succeed with the same token; their wall time against one cold call;
 * and one cold call's overhead over `curl` POSTing the same token request (in ms: the one
 * absolute figure the report gives, because that is the question asked).
 *
 * @module
 */
import { ok, run, type Sample, which } from "./proc.ts";
import { attempt, measuredRow, type Row, type RowSpec, skippedRow, summarize } from "./rows.ts";
import type { World } from "./world.ts";

export async function coldRows(world: World, rounds: number, parallel = 50): Promise<Row[]> {
  const specs = {
    requests: {
      id: "cold.parallel.token_requests",
      name: `cold cache, ${parallel} parallel auth token: token requests at the IdP`,
      unit: "requests",
      target: { on: "each", op: "=", value: 1 },
    },
    failures: {
      id: "cold.parallel.failures",
      name: `cold cache, ${parallel} parallel auth token: failures`,
      unit: "failures",
      target: { on: "each", op: "=", value: 0 },
    },
    wall: {
      id: "cold.parallel.wall",
      name: `cold cache, ${parallel} parallel auth token: wall time`,
      unit: "ms",
    },
    overhead: {
      id: "cold.single.overhead_over_curl",
      name: "cold auth token: overhead over curl POSTing the token request",
      unit: "ms",
    },
  } satisfies Record<string, RowSpec>;
  const idp = world.site.idp;
  const spec = {
    ...world.lmi(["auth", "token"]),
    env: world.env,
    cwd: world.home,
    stdout: "piped" as const,
  };
  const curl = which("curl");

  const single: number[] = [];
  const viaCurl: number[] = [];
  const requests: number[] = [];
  const failures: number[] = [];
  const wall: number[] = [];
  const notes: string[] = [];
  let error: string | undefined;

  const cold = async () => {
    await world.clearCache();
    idp.stats.reset();
    const s = ok(await run(spec), "cold lmi auth token");
    if (idp.stats.tokenRequests !== 1) {
      notes.push(`a single cold call made ${idp.stats.tokenRequests} token requests`);
    }
    return s.ms;
  };
  const post = async () => {
    const s = ok(
      await run({
        cmd: curl!,
        args: [
          "-s",
          "-f",
          "-o",
          "/dev/null",
          "-u",
          `${idp.clients.basic.id}:${idp.clients.basic.secret}`,
          "-d",
          "grant_type=client_credentials",
          idp.tokenUrl,
        ],
        env: world.env,
        cwd: world.home,
      }),
      "curl token request",
    );
    return s.ms;
  };
  const burst = async () => {
    await world.clearCache();
    idp.stats.reset();
    const started = performance.now();
    const all: Sample[] = await Promise.all(
      Array.from({ length: parallel }, () => run(spec)),
    );
    wall.push(performance.now() - started);
    requests.push(idp.stats.tokenRequests);
    const failed = all.filter((s) => s.code !== 0);
    failures.push(failed.length);
    const tokens = new Set(all.filter((s) => s.code === 0).map((s) => s.stdout.trim()));
    if (tokens.size > 1) notes.push(`${tokens.size} different tokens printed in one burst`);
    if (failed[0]) notes.push(`a failure: ${failed[0].stderr.trim().split("\n").at(-1)}`);
  };

  try {
    await cold(); // warm-up: Deno's caches, the IdP's first request
    if (curl) await post();
    for (let i = 0; i < rounds; i++) {
      if (i % 2 === 0) {
        single.push(await cold());
        if (curl) viaCurl.push(await post());
      } else {
        if (curl) viaCurl.push(await post());
        single.push(await cold());
      }
      await burst();
    }
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  } finally {
    await world.clearCache();
    // Leave the cache warm for whatever runs next.
    await run(spec);
  }
  const note = notes.length ? [...new Set(notes)].slice(0, 3).join("; ") : undefined;
  const make = (s: RowSpec, build: () => Row) =>
    attempt(s, () => {
      if (error !== undefined) throw new Error(error);
      return Promise.resolve(build());
    });
  const extra = note !== undefined ? { note } : {};
  return [
    await make(
      specs.requests,
      () => measuredRow({ ...specs.requests, samples: requests, ...extra }),
    ),
    await make(specs.failures, () => measuredRow({ ...specs.failures, samples: failures })),
    await make(specs.wall, () =>
      measuredRow({
        ...specs.wall,
        samples: wall,
        baseline: { name: "1 cold call", samples: single },
      })),
    curl
      ? await make(specs.overhead, () =>
        measuredRow({
          ...specs.overhead,
          samples: single.map((s, i) => s - viaCurl[i]!),
          note: `median cold lmi auth token ${summarize(single).median.toFixed(0)} ms, ` +
            `curl ${summarize(viaCurl).median.toFixed(0)} ms (same round, back to back)`,
        }))
      : skippedRow(specs.overhead, "curl missing (Debian package curl)"),
  ];
}
