/**
 * Where errors become output and exit statuses: `lmi: error: …`, `hint: …` and an exit code,
 * and the logger every command writes through. Used by the CLI edge (main.ts) and the warm
 * `auth token` path (warm.ts).
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { ExitCode, LmiError } from "../errors.ts";
import { createLogger, type Logger } from "../ui/log.ts";
import type { Redactor } from "../ui/redact.ts";
import { visible } from "../ui/text.ts";
import type { GlobalFlags } from "./spec.ts";

/** The logger for a run: verbosity from the flags, color unless NO_COLOR or not a terminal. */
export function makeLogger(deps: Deps, redactor: Redactor, globals: GlobalFlags): Logger {
  const noColor = globals.noColor || (deps.env("NO_COLOR") ?? "") !== "" || !deps.stderr.isTerminal;
  return createLogger({ level: globals.verbose, color: !noColor, stderr: deps.stderr, redactor });
}

/** Print an error as `lmi: error: …` and `hint: …`; return its exit code. */
export function reportError(err: unknown, log: Logger): number {
  const red = (s: string) => log.color ? `\x1b[31m${s}\x1b[0m` : s;
  if (err instanceof LmiError) {
    // Messages carry paths and values from files lmi did not write: shown, never acted on.
    log.raw(`${red("lmi: error:")} ${visible(err.message)}\n`);
    if (err.hint) log.raw(`hint: ${visible(err.hint)}\n`);
    if (log.level >= 2) log.raw(`${describeChain(err)}\n`);
    return err.exitCode;
  }
  if (err instanceof Deno.errors.Interrupted) return ExitCode.interrupted;
  const message = err instanceof Error ? err.message : String(err);
  log.raw(`${red("lmi: error:")} unexpected failure: ${message.split("\n")[0]}\n`);
  log.raw("hint: run again with -vv for details, and report it if it persists\n");
  if (log.level >= 2) log.raw(`${describeChain(err)}\n`);
  return ExitCode.failed;
}

function describeChain(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
  }
  return parts.join("\ncaused by: ");
}
