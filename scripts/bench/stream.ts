/**
 * Rows 3: `lmi request /bytes/N` streaming a large body from the loopback API to /dev/null,
 * against `curl -s -o /dev/null` of the same URL with the same token, rounds interleaved:
 * throughput (target 0.8x curl or better, process start included on both sides) and lmi's
 * peak RSS (target under 100 MB in every round). MB here is 10^6 bytes.
 *
 * @module
 */
import { GNU_TIME, interleave, ok, run, runWithRss, type Sample, which } from "./proc.ts";
import { attempt, measuredRow, type Row, type RowSpec, skippedRow } from "./rows.ts";
import type { World } from "./world.ts";

export async function streamRows(world: World, bytes: number, rounds: number): Promise<Row[]> {
  const mb = bytes / 1e6;
  const label = `request streaming ${mb.toFixed(0)} MB to /dev/null`;
  const tputSpec: RowSpec = {
    id: "stream.throughput",
    name: `${label}: throughput`,
    unit: "MB/s",
    target: { on: "ratio", op: ">=", value: 0.8 },
  };
  const rssSpec: RowSpec = {
    id: "stream.rss",
    name: `${label}: peak RSS`,
    unit: "MB",
    target: { on: "max", op: "<", value: 100 },
  };
  const curl = which("curl");
  const gnuTime = which(GNU_TIME);
  const path = `/bytes/${bytes}`;
  const stats = world.site.api.stats;

  const lmi = async (): Promise<Sample> => {
    const before = stats.streamsCompleted;
    const spec = { ...world.lmi(["request", path]), env: world.env, cwd: world.home };
    const s = ok(gnuTime ? await runWithRss(spec, world.scratch) : await run(spec), "lmi request");
    if (stats.streamsCompleted !== before + 1) {
      throw new Error("the API did not send the whole body");
    }
    return s;
  };
  const viaCurl = async (): Promise<Sample> => {
    const s = ok(
      await run({
        cmd: curl!,
        args: [
          "-s",
          "-o",
          "/dev/null",
          "-w",
          "%{size_download}",
          "-H",
          `authorization: Bearer ${world.token}`,
          `${world.site.api.url}${path}`,
        ],
        env: world.env,
        cwd: world.home,
        stdout: "piped",
      }),
      "curl",
    );
    if (Number(s.stdout) !== bytes) throw new Error(`curl received ${s.stdout} bytes`);
    return s;
  };
  const perSecond = (s: Sample) => mb / (s.ms / 1000);

  let lmiSamples: Sample[] = [];
  let curlSamples: Sample[] = [];
  let error: string | undefined;
  try {
    if (curl) {
      const r = await interleave(rounds, viaCurl, lmi);
      lmiSamples = r.subject;
      curlSamples = r.baseline;
    } else {
      await lmi(); // warm-up, as interleave does
      for (let i = 0; i < rounds; i++) lmiSamples.push(await lmi());
    }
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const fromSamples = (spec: RowSpec, make: () => Row) =>
    attempt(spec, () => {
      if (error !== undefined) throw new Error(error);
      return Promise.resolve(make());
    });
  return [
    curl
      ? await fromSamples(tputSpec, () =>
        measuredRow({
          ...tputSpec,
          samples: lmiSamples.map(perSecond),
          baseline: { name: "curl", samples: curlSamples.map(perSecond) },
        }))
      : skippedRow(tputSpec, "curl missing (Debian package curl)"),
    gnuTime
      ? await fromSamples(rssSpec, () =>
        measuredRow({
          ...rssSpec,
          samples: lmiSamples.map((s) => (s.rssKb ?? NaN) * 1024 / 1e6),
        }))
      : skippedRow(rssSpec, `${GNU_TIME} missing (Debian package time)`),
  ];
}
