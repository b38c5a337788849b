/**
 * Running another program with lmi's variables (exec and plugins): stdio inherited, SIGINT and
 * SIGTERM forwarded, its exit code returned. Plugins found on PATH (src/util/find_program.ts).
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { q, UsageError } from "../errors.ts";
import { join } from "../util/path.ts";
import { findOnPath, pathDirs } from "../util/find_program.ts";

export { findOnPath };

/** Every `lmi-NAME` program on PATH, by NAME. */
export function listPlugins(deps: Pick<Deps, "env" | "os">): Map<string, string> {
  const found = new Map<string, string>();
  for (const dir of pathDirs(deps)) {
    try {
      for (const entry of Deno.readDirSync(dir)) {
        const m = /^lmi-([a-z0-9][a-z0-9_-]*?)(\.exe|\.cmd)?$/i.exec(entry.name);
        if (m && !found.has(m[1]!) && findOnPath(deps, `lmi-${m[1]}`)) {
          found.set(m[1]!, join(dir, entry.name));
        }
      }
    } catch { /* unreadable PATH entry */ }
  }
  return found;
}

/** Run `cmd args` with `env` added, forward signals, return its exit code. */
export async function runChild(
  deps: Pick<Deps, "envAll">,
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<number> {
  // Listen for signals before the child exists, so none can arrive unforwarded (which would
  // end lmi and leave the child running): one that comes before the spawn is passed on after it.
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM", "SIGHUP"];
  let child: Deno.ChildProcess | undefined;
  let early: Deno.Signal | undefined;
  const forward = (signal: Deno.Signal) => {
    if (!child) return void (early = signal);
    try {
      child.kill(signal);
    } catch { /* already gone */ }
  };
  const handlers = signals.map((signal) => {
    const handler = () => forward(signal);
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  const unlisten = () => {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  };
  try {
    child = new Deno.Command(cmd, {
      args,
      env: { ...deps.envAll(), ...env },
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (err) {
    unlisten();
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError("COMMAND_NOT_FOUND", `command not found: ${q(cmd)}`, {
        hint: "check the command name and PATH",
      });
    }
    if (err instanceof Deno.errors.PermissionDenied) {
      throw new UsageError("COMMAND_NOT_RUNNABLE", `cannot run ${q(cmd)}: permission denied`, {
        hint: "check that the file is executable",
      });
    }
    throw err;
  }
  if (early) forward(early);
  try {
    const status = await child.status;
    return status.signal ? 128 + signalNumber(status.signal) : status.code;
  } finally {
    unlisten();
  }
}

function signalNumber(signal: Deno.Signal): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[
    signal
  ] ?? 1;
}
