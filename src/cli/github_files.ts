/**
 * The files `lmi auth token --format github` appends to: the ones GitHub Actions names in
 * GITHUB_ENV (variables for the next steps) and GITHUB_OUTPUT (the step's outputs). They are
 * checked before anything else happens: each must be a regular file, or not exist yet in a folder
 * that does. Opening a FIFO nobody reads would wait forever and a folder cannot be written, so
 * anything else is a config error (exit 3) before the token is even fetched. A file lmi creates
 * is 0600 (it holds the token); one that exists keeps its mode.
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { ConfigError, q } from "../errors.ts";
import { dirname, resolve } from "../util/path.ts";

export interface GithubFiles {
  env: string;
  output: string | undefined;
}

type Variable = "GITHUB_ENV" | "GITHUB_OUTPUT";

/** The files GitHub Actions named, each checked; a ConfigError when one cannot be used. */
export async function githubFiles(deps: Pick<Deps, "env" | "cwd">): Promise<GithubFiles> {
  const env = deps.env("GITHUB_ENV");
  if (!env) {
    throw new ConfigError(
      "NOT_IN_GITHUB_ACTIONS",
      "--format github needs GITHUB_ENV, which is not set",
      { hint: "use it in a GitHub Actions step; elsewhere use --format env or raw" },
    );
  }
  const output = deps.env("GITHUB_OUTPUT") || undefined;
  await checkFile("GITHUB_ENV", env, deps.cwd);
  if (output) await checkFile("GITHUB_OUTPUT", output, deps.cwd);
  return { env, output };
}

/** Append the file commands (src/ui/token_output.ts `githubFileCommands`) to the files. */
export async function appendGithubFiles(
  files: GithubFiles,
  commands: { env: string; output: string },
  cwd: string,
): Promise<void> {
  await append("GITHUB_ENV", files.env, commands.env, cwd);
  if (files.output) await append("GITHUB_OUTPUT", files.output, commands.output, cwd);
}

/** A regular file, or a name lmi may create in an existing folder (stat never blocks). */
async function checkFile(variable: Variable, path: string, cwd: string): Promise<void> {
  const full = resolve(cwd, path);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(full);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw cannotWrite(variable, path, err);
    const folder = await Deno.stat(dirname(full)).catch(() => undefined);
    if (folder?.isDirectory) return;
    throw cannotWrite(variable, path, "its folder does not exist");
  }
  if (!info.isFile) {
    throw new ConfigError(
      "GITHUB_FILE_NOT_REGULAR",
      `${variable} is not a regular file: ${q(path)} is ${kind(info)}`,
      {
        hint: `GitHub Actions sets ${variable} to a file; unset it, or point it at a regular file`,
      },
    );
  }
}

async function append(variable: Variable, path: string, text: string, cwd: string) {
  try {
    // Deno.open's `mode` applies only when it creates the file (writeTextFile's to any file).
    using file = await Deno.open(resolve(cwd, path), {
      append: true,
      create: true,
      mode: 0o600,
    });
    let bytes = new TextEncoder().encode(text);
    while (bytes.length > 0) bytes = bytes.subarray(await file.write(bytes));
  } catch (err) {
    throw cannotWrite(variable, path, err);
  }
}

function kind(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO";
  if (info.isSocket) return "a socket";
  if (info.isCharDevice || info.isBlockDevice) return "a device";
  return "not a file";
}

function cannotWrite(variable: Variable, path: string, why: unknown): ConfigError {
  const reason = why instanceof Error ? why.message : String(why);
  return new ConfigError(
    "GITHUB_FILE_UNWRITABLE",
    `cannot write ${variable}: ${q(path)}: ${reason}`,
    {
      hint: `GitHub Actions sets ${variable} to a file lmi can write; unset it, or point it at one`,
      ...(why instanceof Error ? { cause: why } : {}),
    },
  );
}
