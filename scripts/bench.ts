/**
 * `deno task bench`: start-up of the warm `lmi auth token` path as a ratio against bare Deno
 * start-up measured in the same run (never an absolute time). Uses the dev IdP for the first,
 * cold call; then every measured call is served from the cache.
 *
 * @module
 */
import { join } from "../src/util/path.ts";
import { startDevIdp } from "./dev_idp/mod.ts";
import { denoDir, lmiCommand } from "./run_lmi.ts";

const RUNS = Number(Deno.env.get("LMI_BENCH_RUNS") ?? 30);

async function timeRuns(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < RUNS + 3; i++) {
    const started = performance.now();
    const out = await new Deno.Command(cmd, {
      args,
      env,
      clearEnv: true,
      cwd,
      stdout: "null",
      stderr: "null",
    }).output();
    if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed with ${out.code}`);
    if (i >= 3) times.push(performance.now() - started); // the first runs warm the caches
  }
  return times;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const idp = await startDevIdp();
const dir = await Deno.makeTempDir({ prefix: "lmi-bench-" });
try {
  await Deno.writeTextFile(
    join(dir, "lmi.toml"),
    `default_env = "dev"\n[envs.dev.auth]\ntype = "client_credentials"\nissuer = "${idp.issuer}"\n` +
      `client_id = "${idp.clients.basic.id}"\nclient_secret_env = "SECRET"\n`,
  );
  await Deno.writeTextFile(join(dir, "empty.ts"), "");
  const env = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: dir,
    DENO_DIR: denoDir(),
    LMI_CACHE_DIR: join(dir, "cache"),
    SECRET: idp.clients.basic.secret,
    NO_COLOR: "1",
  };
  const bare = await timeRuns(Deno.execPath(), ["run", "--quiet", join(dir, "empty.ts")], env, dir);
  const { cmd, args } = lmiCommand(["auth", "token"]);
  const warm = await timeRuns(cmd, args, env, dir);
  const ratio = median(warm) / median(bare);
  console.log(`runs: ${RUNS} each (after 3 warm-up runs)`);
  console.log(`bare deno start-up:     median ${median(bare).toFixed(1)} ms`);
  console.log(`warm lmi auth token:    median ${median(warm).toFixed(1)} ms`);
  console.log(`ratio warm/bare:        ${ratio.toFixed(2)}x (budget 1.5x)`);
} finally {
  await idp.close();
  await Deno.remove(dir, { recursive: true });
}
