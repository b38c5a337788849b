/**
 * Waiting and reading, shared by the protected API, the token-endpoint faults and the login
 * pages.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type * as http from "node:http";

/** The longest wait a test may ask for: the API's /slow and a token fault's delayMs. */
export const MAX_DELAY_MS = 10 * 60 * 1000;

/** Resolves after `ms`, or at once when `signal` aborts; leaves no timer behind either way. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The whole body of a node:http request, as UTF-8 text. */
export async function readNodeBody(req: http.IncomingMessage): Promise<string> {
  // Read already by a hook in front of the token endpoint, which left the text here.
  const read = (req as { body?: unknown }).body;
  if (typeof read === "string") return read;
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString("utf8");
}
