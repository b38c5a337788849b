/**
 * Running the OS's credential tools (`secret-tool`, `security`, PowerShell) with a timeout, the
 * secret passed on stdin, never on the command line (where other users could read it).
 *
 * @module
 */

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  stdin?: string;
  timeoutMs: number;
  env?: Record<string, string>;
}

/** The seam: tests pass their own runner; macOS and Windows stores are tested through it. */
export type CommandRunner = (
  cmd: string,
  args: string[],
  options: RunOptions,
) => Promise<RunResult>;

/** Run a real process; kill it when the timeout passes. A missing program is code 127. */
export const realRunner: CommandRunner = async (cmd, args, options) => {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      ...(options.env ? { env: options.env } : {}),
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      return { code: 127, stdout: "", stderr: `${cmd}: not found`, timedOut: false };
    }
    throw err;
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, options.timeoutMs);
  try {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin ?? "")).catch(() => {});
    await writer.close().catch(() => {});
    const out = await child.output();
    const dec = new TextDecoder();
    return {
      code: out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
};
