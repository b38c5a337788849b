/**
 * The other way back from the browser: the address it ended on, pasted on stdin. A browser on
 * another machine cannot reach lmi's loopback redirect (127.0.0.1 is not that machine), so its
 * last page fails to load; its address bar still holds the authorization response. Lines that
 * are not an address of this sign-in's redirect URI are said to be so and the wait goes on; the
 * first that is one is the answer, checked as a redirect is. The address holds the authorization
 * code: it is never repeated in a message.
 *
 * @module
 */
import type { Deps } from "../context.ts";
import type { Logger } from "../ui/log.ts";
import { safeText } from "../ui/text.ts";

/** The longest line read as an address: authorization responses are well under 2 KiB. */
export const MAX_PASTE_BYTES = 8192;

/** What one line of stdin is to a sign-in waiting at `redirectUri`. */
export type PastedLine =
  /** Nothing (an empty line): not said. */
  | { kind: "blank" }
  /** An address of the redirect URI (as lmi sent it, with the address's query): the answer. */
  | { kind: "answer"; url: URL }
  /** Anything else: why it is not an answer, one line without the line's content. */
  | { kind: "not-an-answer"; why: string };

/** `scheme://host:port/path` of an address: what says where it goes, never its query. */
function target(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** What `line` is to the sign-in waiting at `redirectUri` (no I/O). */
export function readPastedLine(line: string, redirectUri: string): PastedLine {
  const text = line.trim();
  if (text === "") return { kind: "blank" };
  const expected = new URL(redirectUri);
  const startsHere = `(it starts with ${redirectUri})`;
  if (new TextEncoder().encode(text).length > MAX_PASTE_BYTES) {
    return {
      kind: "not-an-answer",
      why: `that line is longer than ${
        MAX_PASTE_BYTES / 1024
      } KiB, too long for the address lmi waits for ${startsHere}`,
    };
  }
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch { /* not an absolute URL */ }
  // Some address bars hide the scheme, and a copy may leave it out.
  if ((!url || !/^https?:$/.test(url.protocol)) && text.startsWith(`${expected.host}/`)) {
    url = new URL(`${expected.protocol}//${text}`);
  }
  if (!url || !/^https?:$/.test(url.protocol)) {
    return {
      kind: "not-an-answer",
      why:
        `that is not a web address: paste the whole address from the browser's address bar ${startsHere}`,
    };
  }
  if (target(url) !== target(expected)) {
    return {
      kind: "not-an-answer",
      why: `that address goes to ${safeText(target(url), 120)}, not to this sign-in's ${
        target(expected)
      }: open the URL above and paste the address the browser ends on`,
    };
  }
  // The code exchange sends the redirect URI it is given: exactly lmi's, whatever else the copy
  // holds (a user name, a fragment).
  const answer = new URL(redirectUri);
  answer.search = url.search;
  return { kind: "answer", url: answer };
}

/**
 * Read stdin until a line is an address of `redirectUri`, and resolve with it; say why each other
 * non-blank line is not one. At the end of stdin (closed, or /dev/null) it never settles: the
 * loopback redirect or the timeout ends the wait. Once `stopped` is aborted, lines read are
 * ignored.
 */
export async function waitForPaste(
  deps: Pick<Deps, "readLine">,
  log: Logger,
  redirectUri: string,
  stopped: AbortSignal,
): Promise<URL> {
  for (;;) {
    let line: string | null;
    try {
      line = await deps.readLine(MAX_PASTE_BYTES);
    } catch (err) {
      log.debug(`cannot read stdin: ${err instanceof Error ? err.message : err}`);
      line = null;
    }
    if (stopped.aborted) return new Promise<never>(() => {});
    if (line === null) {
      log.info(`stdin ended: waiting for the browser to come back to ${redirectUri} only`);
      return new Promise<never>(() => {});
    }
    const pasted = readPastedLine(line, redirectUri);
    if (pasted.kind === "answer") {
      log.debug(`read the address the browser ended on from stdin (${line.length} characters)`);
      return pasted.url;
    }
    if (pasted.kind === "not-an-answer") log.warn(pasted.why);
  }
}
