/**
 * The logger for people: everything goes to stderr, through the redactor.
 * Levels: 0 warnings and errors, 1 info (-v), 2 debug incl. HTTP exchanges (-vv).
 *
 * @module
 */
import type { Output } from "../context.ts";
import type { Redactor } from "./redact.ts";

export interface Logger {
  readonly level: number;
  readonly redactor: Redactor;
  readonly color: boolean;
  /** Text for people (progress, results): always shown. */
  say(message: string): void;
  /**
   * Text for people that must be seen as it is (a device code and its URL): registered secrets
   * are still removed, secret-looking patterns are not.
   */
  sayAsIs(message: string): void;
  warn(message: string): void;
  /** A warning shown once per process for the same key. */
  warnOnce(key: string, message: string): void;
  info(message: string): void;
  debug(message: string): void;
  /** Write an already formatted block as is (still redacted). */
  raw(text: string): void;
  /** Wait until everything queued has been written. */
  flush(): Promise<void>;
}

export interface LoggerOptions {
  level: number;
  color: boolean;
  stderr: Output;
  redactor: Redactor;
}

const style = (on: boolean, code: string, text: string) =>
  on ? `\x1b[${code}m${text}\x1b[0m` : text;

export function createLogger(options: LoggerOptions): Logger {
  const { level, color, stderr, redactor } = options;
  let pending: Promise<void> = Promise.resolve();
  const warned = new Set<string>();
  const write = (text: string, asIs = false) => {
    const safe = asIs ? redactor.redactValues(text) : redactor.redact(text);
    pending = pending.then(() => stderr.write(safe)).catch(() => {});
  };
  const logger: Logger = {
    level,
    redactor,
    color,
    say: (m) => write(`${m}\n`),
    sayAsIs: (m) => write(`${m}\n`, true),
    warn: (m) => write(`${style(color, "33", "lmi: warning:")} ${m}\n`),
    warnOnce(key, m) {
      if (warned.has(key)) return;
      warned.add(key);
      logger.warn(m);
    },
    info: (m) => {
      if (level >= 1) write(`${style(color, "2", "lmi:")} ${m}\n`);
    },
    debug: (m) => {
      if (level >= 2) write(`${style(color, "2", "lmi: debug:")} ${m}\n`);
    },
    raw: (t) => write(t),
    flush: () => pending,
  };
  return logger;
}
