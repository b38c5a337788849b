/**
 * Running the real `lmi` program as a subprocess, with exactly the permissions of deno.json's
 * "lmi" set, in a private temporary home, and capturing its exit code, stdout and stderr.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { permissionFlags } from "../../scripts/permissions.ts";

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const MAIN = join(REPO, "main.ts");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  dir: string;
  home: string;
  cacheDir: string;
  /** Environment for the child: a minimal one, plus `env`. */
  env: Record<string, string>;
  run(args: string[], options?: RunOptions): Promise<RunResult>;
  writeConfig(toml: string, name?: string): Promise<string>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string;
}

const denoDir = Deno.env.get("DENO_DIR") ??
  join(Deno.env.get("XDG_CACHE_HOME") ?? join(Deno.env.get("HOME")!, ".cache"), "deno");

/** The command that starts lmi: deno with the program's own permissions. */
export function lmiCommand(args: string[]): { cmd: string; args: string[] } {
  return {
    cmd: Deno.execPath(),
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      `--config=${join(REPO, "deno.json")}`,
      ...permissionFlags(),
      MAIN,
      ...args,
    ],
  };
}

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
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A temporary home with its own cache folder, removed on dispose. */
export async function sandbox(extraEnv: Record<string, string> = {}): Promise<Sandbox> {
  const dir = await Deno.makeTempDir({ prefix: "lmi-test-" });
  const home = join(dir, "home");
  const cacheDir = join(dir, "cache");
  await Deno.mkdir(home, { recursive: true });
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: home,
    DENO_DIR: denoDir,
    LMI_CACHE_DIR: cacheDir,
    NO_COLOR: "1",
    ...extraEnv,
  };
  return {
    dir,
    home,
    cacheDir,
    env,
    run: (args, options) => runLmi(args, env, options),
    async writeConfig(toml, name = "lmi.toml") {
      const path = join(home, name);
      await Deno.writeTextFile(path, toml);
      return path;
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
