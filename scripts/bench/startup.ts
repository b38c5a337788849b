/**
 * Rows 1: the warm paths as whole processes against bare Deno start-up (`deno run --quiet` of an
 * empty file), round by round in the same run: `lmi auth token` (a cached JWT verified offline),
 * `auth token --format exec-credential`, and `lmi request /ok` against the loopback API. Wall
 * time and peak RSS, each a ratio of medians; targets 1.5x.
 *
 * @module
 */
import { GNU_TIME, interleave, ok, run, runWithRss, type Sample, which } from "./proc.ts";
import { attempt, measuredRow, type Row, type RowSpec, skippedRow } from "./rows.ts";
import type { World } from "./world.ts";

const SUBJECTS: { key: string; label: string; args: string[] }[] = [
  { key: "auth_token", label: "warm auth token", args: ["auth", "token"] },
  {
    key: "exec_credential",
    label: "warm auth token --format exec-credential",
    args: ["auth", "token", "--format", "exec-credential"],
  },
  { key: "request", label: "warm request /ok", args: ["request", "/ok"] },
];

const BARE = "bare deno";

/** Wall time and peak RSS of `args` (lmi or a peer) against bare Deno; rounds interleaved. */
export async function versusBare(
  world: World,
  rounds: number,
  spec: { wall: RowSpec; rss?: RowSpec },
  subject: () => Promise<Sample>,
  subjectWithRss?: () => Promise<Sample>,
): Promise<Row[]> {
  const bare = async () => ok(await run({ ...world.bare, env: world.env, cwd: world.home }), BARE);
  const rows: Row[] = [];
  rows.push(
    await attempt(spec.wall, async () => {
      const r = await interleave(rounds, bare, subject);
      return measuredRow({
        ...spec.wall,
        samples: r.subject.map((s) => s.ms),
        baseline: { name: BARE, samples: r.baseline.map((s) => s.ms) },
      });
    }),
  );
  if (spec.rss && subjectWithRss) {
    const rssSpec = spec.rss;
    if (!which(GNU_TIME)) {
      rows.push(skippedRow(rssSpec, `${GNU_TIME} missing (Debian package time)`));
    } else {
      rows.push(
        await attempt(rssSpec, async () => {
          const bareRss = async () =>
            ok(
              await runWithRss({ ...world.bare, env: world.env, cwd: world.home }, world.scratch),
              BARE,
            );
          const r = await interleave(rounds, bareRss, subjectWithRss);
          const mb = (s: Sample) => {
            if (s.rssKb === undefined) throw new Error("GNU time reported no peak RSS");
            return s.rssKb * 1024 / 1e6;
          };
          return measuredRow({
            ...rssSpec,
            samples: r.subject.map(mb),
            baseline: { name: BARE, samples: r.baseline.map(mb) },
          });
        }),
      );
    }
  }
  return rows;
}

export async function startupRows(world: World, rounds: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const s of SUBJECTS) {
    const cmd = world.lmi(s.args);
    const what = `lmi ${s.args.join(" ")}`;
    rows.push(
      ...await versusBare(
        world,
        rounds,
        {
          wall: {
            id: `startup.${s.key}.wall`,
            name: `${s.label}: wall time`,
            unit: "ms",
            target: { on: "ratio", op: "<=", value: 1.5 },
          },
          rss: {
            id: `startup.${s.key}.rss`,
            name: `${s.label}: peak RSS`,
            unit: "MB",
            target: { on: "ratio", op: "<=", value: 1.5 },
          },
        },
        async () => ok(await run({ ...cmd, env: world.env, cwd: world.home }), what),
        async () =>
          ok(await runWithRss({ ...cmd, env: world.env, cwd: world.home }, world.scratch), what),
      ),
    );
  }
  return rows;
}
