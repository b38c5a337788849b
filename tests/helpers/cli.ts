/**
 * Running the real `lmi` program as a subprocess, with exactly the permissions of deno.json's
 * "lmi" set, in a private temporary home, and capturing its exit code, stdout and stderr.
 */
import { join } from "node:path";
import {
  lmiCommand,
  REPO,
  runLmi,
  type RunOptions,
  type RunResult,
} from "../../scripts/run_lmi.ts";
import { childEnv } from "../../scripts/child_env.ts";

export { runLmi, type RunOptions, type RunResult };

export interface Sandbox {
  dir: string;
  home: string;
  cacheDir: string;
  /** Environment for the child: a minimal one (scripts/child_env.ts), plus `env`. */
  env: Record<string, string>;
  run(args: string[], options?: RunOptions): Promise<RunResult>;
  writeConfig(toml: string, name?: string): Promise<string>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A temporary home with its own cache folder, removed on dispose. Its path is the real one (on
 * macOS the temp folder is behind the /var -> /private/var link, and lmi sees the real path as
 * its working directory, so the paths it prints must be compared with that).
 */
export async function sandbox(extraEnv: Record<string, string> = {}): Promise<Sandbox> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "lmi-test-" }));
  const home = join(dir, "home");
  const cacheDir = join(dir, "cache");
  await Deno.mkdir(home, { recursive: true });
  const env = childEnv({
    home,
    vars: {
      LMI_CACHE_DIR: cacheDir,
      // The sandbox's lmi.toml files are the test's own: trusted as a user's project folder is.
      LMI_TRUSTED_PATHS: dir,
      NO_COLOR: "1",
      ...extraEnv,
    },
  });
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

/** Run any program (not lmi) with a clean environment, `input` on stdin, and capture its output. */
export async function runWithInput(
  cmd: string,
  args: string[],
  options: { env: Record<string, string>; cwd: string; input: string },
): Promise<RunResult> {
  const child = new Deno.Command(cmd, {
    args,
    clearEnv: true,
    env: options.env,
    cwd: options.cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(options.input));
  await w.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * The `deno run` arguments of a script that uses the library from this checkout: lmi's config and
 * the file, env and uid permissions it needs, with `net` (e.g. `--deny-net`) as the network rule.
 */
export function libraryScriptArgs(script: string, net: string): string[] {
  return [
    "run",
    "--quiet",
    `--config=${join(REPO, "deno.json")}`,
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys=uid",
    net,
    script,
  ];
}

/** Run Deno with `args` in a sandbox (its environment only, its home as the folder). */
export async function runDeno(
  args: string[],
  box: Pick<Sandbox, "env" | "home">,
): Promise<RunResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    clearEnv: true,
    env: box.env,
    cwd: box.home,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A shell word for git's `!command` helper syntax. */
function shellWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The helper string that makes git run this lmi (`!deno run … main.ts git-credential …`). */
export function gitHelper(...extra: string[]): string {
  const { cmd, args } = lmiCommand(["git-credential", ...extra]);
  return "!" + [cmd, ...args].map(shellWord).join(" ");
}
