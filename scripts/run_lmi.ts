/**
 * Starting the lmi program as a subprocess exactly as users run it from source: `deno run` with
 * the permission set from deno.json and nothing more. Used by the demo and the end-to-end tests.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { permissionFlags } from "./permissions.ts";

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");
export const MAIN = join(REPO, "main.ts");

/**
 * The program's own lockfile: only the packages src/deps.ts names (deno.lock also holds the
 * development tools). `--frozen` makes a package missing from it an error, never a download.
 */
export function lockFlags(repo: string): string[] {
  return [`--lock=${join(repo, "lmi.lock")}`, "--frozen"];
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string;
  /** Kill the process after this long (default 120 s). */
  limitMs?: number;
}

/** The command line that starts lmi with `args`. */
export function lmiCommand(args: string[]): { cmd: string; args: string[] } {
  return {
    cmd: Deno.execPath(),
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      `--config=${join(REPO, "deno.json")}`,
      ...lockFlags(REPO),
      ...permissionFlags(),
      MAIN,
      ...args,
    ],
  };
}

/** Run lmi with a clean environment (`env` only) and capture its output. */
export async function runLmi(
  args: string[],
  env: Record<string, string>,
  options: RunOptions = {},
): Promise<RunResult> {
  const { cmd, args: full } = lmiCommand(args);
  const child = new Deno.Command(cmd, {
    args: full,
    clearEnv: true,
    env: { ...env, ...options.env },
    cwd: options.cwd ?? env.HOME ?? REPO,
    stdin: options.stdin !== undefined ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  // No run outlives this: a stuck process cannot hang a test suite or the demo.
  const limit = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
  }, options.limitMs ?? 120_000);
  const out = await child.output().finally(() => clearTimeout(limit));
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
