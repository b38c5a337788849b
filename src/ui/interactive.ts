/**
 * Whether lmi may ask a question or open a browser: the one rule every prompt and every implicit
 * sign-in follows. Not when stdin or stdout is not a terminal, when `CI` is set, or when kubectl
 * says so (`KUBERNETES_EXEC_INFO` with `spec.interactive: false`), even at a terminal. kubectl
 * always reads a credential plugin's stdout, so when it says `spec.interactive: true` (its
 * terminal is the plugin's stdin) stdout is not asked about.
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { parseExecInfo } from "./exec_info.ts";

export type InteractiveDeps = Pick<Deps, "env" | "stdinIsTerminal" | "stdout">;

/** Why this run may not ask or open a browser (`CI is set`), or undefined when it may. */
export function nonInteractiveReason(deps: InteractiveDeps): string | undefined {
  const kubectl = parseExecInfo(deps.env("KUBERNETES_EXEC_INFO")).interactive;
  if (kubectl === false) return "kubectl said interactive: false in KUBERNETES_EXEC_INFO";
  if ((deps.env("CI") ?? "") !== "") return "CI is set";
  if (!deps.stdinIsTerminal) return "stdin is not a terminal";
  if (!deps.stdout.isTerminal && kubectl !== true) return "stdout is not a terminal";
  return undefined;
}

/** Whether lmi may open a browser or ask a question (see {@link nonInteractiveReason}). */
export function isInteractive(deps: InteractiveDeps): boolean {
  return nonInteractiveReason(deps) === undefined;
}
