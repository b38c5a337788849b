/**
 * Running the real `lmi` program as a subprocess, with exactly the permissions of deno.json's
 * "lmi" set, in a private temporary home, and capturing its exit code, stdout and stderr.
 */
import { join } from "node:path";
import { denoDir, REPO, runLmi, type RunOptions, type RunResult } from "../../scripts/run_lmi.ts";
import { homeVars } from "./fakes.ts";

export { runLmi, type RunOptions, type RunResult };

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

/**
 * The machine's extra CAs for Deno itself (a TLS-inspecting proxy in front of the npm registry),
 * so a child that must download npm packages (`deno run` by URL, no lock file) can.
 */
function machineTrust(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ["DENO_CERT", "NODE_EXTRA_CA_CERTS"]) {
    const value = Deno.env.get(name);
    if (value) out[name] = value;
  }
  return out;
}

/**
 * What every Windows program needs from its environment, which a clean one lacks (without
 * SystemRoot, for one, sockets cannot be opened). Nothing elsewhere.
 */
function windowsSystem(): Record<string, string> {
  const out: Record<string, string> = {};
  if (Deno.build.os !== "windows") return out;
  for (const name of ["SystemRoot", "SystemDrive", "windir", "ComSpec", "PATHEXT", "TEMP", "TMP"]) {
    const value = Deno.env.get(name);
    if (value) out[name] = value;
  }
  return out;
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
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    ...homeVars(home),
    DENO_DIR: denoDir(),
    LMI_CACHE_DIR: cacheDir,
    // The sandbox's lmi.toml files are the test's own: trusted as a user's project folder is.
    LMI_TRUSTED_PATHS: dir,
    NO_COLOR: "1",
    ...windowsSystem(),
    ...machineTrust(),
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
