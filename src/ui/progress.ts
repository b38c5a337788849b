/**
 * Progress while lmi waits for something a person does elsewhere (a sign-in): a line redrawn in
 * place each second on a terminal, and one plain line a minute otherwise (logs, pipes, CI), so
 * a non-terminal stderr never fills with carriage-return animation.
 *
 * @module
 */
import { formatDuration } from "../config/duration.ts";
import type { Logger } from "./log.ts";

export interface ProgressOptions {
  log: Logger;
  now(): number;
  /** Whether stderr is a terminal. */
  terminal: boolean;
  /** When the wait ends, in ms since the epoch. */
  deadline: number;
  /** "waiting for the sign-in" */
  what: string;
  /** How often to report: on a terminal (default 1 s) and otherwise (default 1 min). */
  everyMs?: { terminal: number; plain: number };
}

/** Start reporting; the returned function stops it (and clears the animated line). */
export function showWaiting(options: ProgressOptions): () => void {
  const { log, now, terminal, deadline, what } = options;
  const every = options.everyMs ?? { terminal: 1000, plain: 60_000 };
  const left = () => formatDuration(Math.max(0, deadline - now()));
  if (terminal) {
    const id = setInterval(() => log.raw(`\r\x1b[2K${what}… ${left()} left`), every.terminal);
    return () => {
      clearInterval(id);
      log.raw("\r\x1b[2K");
    };
  }
  const id = setInterval(() => log.say(`lmi: still ${what}… ${left()} left`), every.plain);
  return () => clearInterval(id);
}
