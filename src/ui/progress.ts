/**
 * Progress while lmi waits for something a person does elsewhere (a sign-in): a line redrawn in
 * place each second on a terminal (unless the person types there), and one plain line a minute
 * otherwise (logs, pipes, CI), so a non-terminal stderr never fills with carriage-return
 * animation. A wait interrupted on a terminal (Ctrl-C) ends the animated line first, so the
 * shell's prompt starts on a line of its own, and the run ends with exit 130.
 *
 * @module
 */
import { formatDuration } from "../config/duration.ts";
import type { Deps } from "../context.ts";
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
  /** Where an interruption (Ctrl-C) is heard, on a terminal. */
  onInterrupt?: Deps["onInterrupt"];
  /**
   * A person types on this terminal (a pasted address): plain lines, since a redrawn line would
   * wipe what they typed from the screen.
   */
  typing?: boolean;
}

/** A wait being reported. */
export interface Waiting {
  /** Stop reporting (and clear the animated line). */
  stop(): void;
  /**
   * Rejects with `Deno.errors.Interrupted` when the person interrupts the wait on a terminal,
   * once the line is ended; never settles otherwise. Race the wait against it.
   */
  interrupted: Promise<never>;
  /** Aborted on that interruption: for requests the wait makes (device-flow polling). */
  signal: AbortSignal;
}

/** Start reporting; `stop` ends it. */
export function showWaiting(options: ProgressOptions): Waiting {
  const { log, now, terminal, deadline, what } = options;
  const every = options.everyMs ?? { terminal: 1000, plain: 60_000 };
  const left = () => formatDuration(Math.max(0, deadline - now()));
  const aborter = new AbortController();
  const { promise: interrupted, reject } = Promise.withResolvers<never>();
  interrupted.catch(() => {}); // observed by whoever races it; never an unhandled rejection
  if (!terminal) {
    const id = setInterval(() => log.say(`lmi: still ${what}… ${left()} left`), every.plain);
    return { stop: () => clearInterval(id), interrupted, signal: aborter.signal };
  }
  const animate = options.typing !== true;
  const id = animate
    ? setInterval(() => log.raw(`\r\x1b[2K${what}… ${left()} left`), every.terminal)
    : setInterval(() => log.say(`lmi: still ${what}… ${left()} left`), every.plain);
  let stopped = false;
  const stopListening = options.onInterrupt?.(() => {
    if (stopped) return;
    stopped = true;
    clearInterval(id);
    stopListening?.();
    log.raw("\n");
    aborter.abort(new Deno.errors.Interrupted("interrupted (SIGINT)"));
    reject(new Deno.errors.Interrupted("interrupted (SIGINT)"));
  });
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(id);
      stopListening?.();
      if (animate) log.raw("\r\x1b[2K");
    },
    interrupted,
    signal: aborter.signal,
  };
}
