/**
 * Running the processes the benchmark measures: wall time from spawn to exit, peak RSS through
 * GNU time (`/usr/bin/time -f %M`, Debian's `time` package), and the interleaving of a baseline
 * with its subject round by round.
 *
 * @module
 */
import { join } from "node:path";

export const GNU_TIME = "/usr/bin/time";

export interface Cmd {
  cmd: string;
  args: string[];
}

export interface RunSpec extends Cmd {
  env: Record<string, string>;
  cwd: string;
  /** "null" (default) discards stdout; "piped" captures it. */
  stdout?: "null" | "piped";
  /** Kill the process after this long (default 120 s). */
  limitMs?: number;
}

export interface Sample {
  /** Wall time from spawn to exit. */
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
  /** Peak resident set size in kB, when measured. */
  rssKb?: number;
}

/** The full path of `command` on PATH, or undefined. */
export function which(command: string, path = Deno.env.get("PATH") ?? ""): string | undefined {
  const candidates = command.includes("/")
    ? [command]
    : path.split(":").map((d) => join(d, command));
  for (const c of candidates) {
    try {
      if (Deno.statSync(c).isFile) return c;
    } catch { /* not here */ }
  }
  return undefined;
}

const dec = new TextDecoder();

/** The children running now, so that an interrupted run can stop them. */
const running = new Set<Deno.ChildProcess>();

/** Stop every child still running (SIGKILL) and wait until they are gone. */
export async function killRunning(): Promise<void> {
  const all = [...running];
  for (const child of all) {
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
  }
  await Promise.allSettled(all.map((c) => c.status));
}

/** Spawn, wait, and time one process (stderr captured for the error message). */
export async function run(spec: RunSpec): Promise<Sample> {
  const started = performance.now();
  const child = new Deno.Command(spec.cmd, {
    args: spec.args,
    env: spec.env,
    clearEnv: true,
    cwd: spec.cwd,
    stdin: "null",
    stdout: spec.stdout ?? "null",
    stderr: "piped",
  }).spawn();
  running.add(child);
  const limit = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
  }, spec.limitMs ?? 120_000);
  const out = await child.output().finally(() => {
    clearTimeout(limit);
    running.delete(child);
  });
  const ms = performance.now() - started;
  return {
    ms,
    code: out.code,
    stdout: spec.stdout === "piped" ? dec.decode(out.stdout) : "",
    stderr: dec.decode(out.stderr),
  };
}

/** Like run(), under GNU time: the sample carries the peak RSS of the process. */
export async function runWithRss(spec: RunSpec, scratch: string): Promise<Sample> {
  const file = join(scratch, `rss-${crypto.randomUUID()}.txt`);
  const sample = await run({
    ...spec,
    cmd: GNU_TIME,
    args: ["-f", "%M", "-o", file, spec.cmd, ...spec.args],
  });
  const text = await Deno.readTextFile(file).catch(() => "");
  await Deno.remove(file).catch(() => {});
  // A failed command's file starts with "Command exited with non-zero status N".
  const kb = Number(text.trim().split("\n").at(-1));
  if (Number.isFinite(kb) && kb > 0) sample.rssKb = kb;
  return sample;
}

/** Throws with the command's stderr when a sample did not exit 0. */
export function ok(sample: Sample, what: string): Sample {
  if (sample.code !== 0) {
    const err = sample.stderr.trim().split("\n").slice(-3).join(" / ");
    throw new Error(`${what} exited with ${sample.code}${err ? `: ${err.slice(0, 300)}` : ""}`);
  }
  return sample;
}

export interface Interleaved<T> {
  baseline: T[];
  subject: T[];
}

/**
 * `rounds` rounds of baseline and subject, alternating which goes first, after `warmup` rounds
 * that are not kept: drift in the machine's load hits both sides alike.
 */
export async function interleave<T>(
  rounds: number,
  baseline: () => Promise<T>,
  subject: () => Promise<T>,
  warmup = 1,
): Promise<Interleaved<T>> {
  const out: Interleaved<T> = { baseline: [], subject: [] };
  for (let i = 0; i < warmup + rounds; i++) {
    let b: T, s: T;
    if (i % 2 === 0) {
      b = await baseline();
      s = await subject();
    } else {
      s = await subject();
      b = await baseline();
    }
    if (i >= warmup) {
      out.baseline.push(b);
      out.subject.push(s);
    }
  }
  return out;
}
