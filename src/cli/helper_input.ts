/**
 * What a credential helper reads from stdin: git's `key=value` lines or Docker's server URL, a
 * few hundred bytes. At most 64 KiB are read: more is no credential request, and reading it all
 * would let whatever feeds stdin fill memory. It is a protocol error: one line on stderr and
 * exit 2, the rest left unread (git and Docker show the message and treat the helper as failed;
 * git then asks its next helper).
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { UsageError } from "../errors.ts";

/** The most a credential helper reads from stdin. */
export const MAX_HELPER_INPUT = 64 * 1024;

/** The helper's request as text; a UsageError (exit 2) when stdin holds more than 64 KiB. */
export async function readHelperInput(deps: Pick<Deps, "readStdin">): Promise<string> {
  const bytes = await deps.readStdin(MAX_HELPER_INPUT);
  if (bytes.length > MAX_HELPER_INPUT) {
    throw new UsageError(
      "INPUT_TOO_LARGE",
      "stdin holds more than 64 KiB, too much for a credential request (the rest was not read)",
      { hint: "git and Docker send a few hundred bytes: check what feeds the helper's stdin" },
    );
  }
  return new TextDecoder().decode(bytes);
}
