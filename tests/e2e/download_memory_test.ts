/**
 * `lmi request` streams the body to stdout: a 50 MB download keeps memory flat (peak RSS under
 * twice that of a 1 MB download).
 */
import { assert } from "../helpers/assert.ts";
import { devSandbox, serviceEnv } from "../helpers/dev_world.ts";
import { lmiCommand } from "../../scripts/run_lmi.ts";
import { startDevIdp } from "../../scripts/dev_idp/mod.ts";
import { ignoreUnless, LINUX } from "../helpers/components.ts";

/** Run lmi, discard its stdout, and sample the child's peak RSS (VmHWM) from /proc. */
async function peakRssKb(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; peak: number; bytes: number }> {
  const { cmd, args: full } = lmiCommand(args);
  const child = new Deno.Command(cmd, {
    args: full,
    clearEnv: true,
    env,
    cwd: env.HOME ?? ".",
    stdout: "piped",
    stderr: "null",
  })
    .spawn();
  let peak = 0;
  let bytes = 0;
  const sample = () => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${child.pid}/status`));
      if (m) peak = Math.max(peak, Number(m[1]));
    } catch { /* exited */ }
  };
  const timer = setInterval(sample, 5);
  for await (const chunk of child.stdout) {
    bytes += chunk.length;
    sample();
  }
  const status = await child.status;
  clearInterval(timer);
  return { code: status.code, peak, bytes };
}

const NAME = "a 50 MB download keeps memory flat";

Deno.test({
  name: NAME,
  ignore: ignoreUnless(NAME, { os: LINUX, why: "reads the peak RSS from /proc/<pid>/status" }),
  fn: async () => {
    await using idp = await startDevIdp();
    await using box = await devSandbox(
      idp,
      serviceEnv(idp, "dev", { env: `base_url = "${idp.apiUrl}"` }),
    );
    const env = { ...box.env, LMI_ENV: "dev" };
    const warm = await peakRssKb(["request", "/bytes/1024"], env);
    assert(warm.code === 0, "warm-up (token cached)");
    const small = await peakRssKb(["request", `/bytes/${1024 * 1024}`], env);
    const large = await peakRssKb(["request", `/bytes/${50 * 1024 * 1024}`], env);
    assert(small.code === 0 && large.code === 0, "both downloads succeed");
    assert(
      small.bytes === 1024 * 1024 && large.bytes === 50 * 1024 * 1024,
      `all bytes arrived (${large.bytes})`,
    );
    assert(
      large.peak < 2 * small.peak,
      `peak RSS ${large.peak} kB for 50 MB vs ${small.peak} kB for 1 MB`,
    );
  },
});
