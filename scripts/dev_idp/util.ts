/**
 * Waiting and reading, shared by the protected API, the token-endpoint hooks and the login
 * pages.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type * as http from "node:http";
import { Readable } from "node:stream";
import type { KoaContext } from "./oidc_types.ts";

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
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Gives `ctx` a request whose body is `body`, not read yet, and which is otherwise the request it
 * had (method, url, socket, headers with the new Content-Length): for oidc-provider, after a hook
 * in front of it has read the real body. Handed an already read request instead, oidc-provider
 * falls back to `req.body` and warns "already parsed request body detected".
 */
export function replaceBody(ctx: KoaContext, body: string): void {
  const bytes = Buffer.from(body);
  const { headers, method, url, httpVersion, socket } = ctx.req;
  const unread = { ...headers, "content-length": String(bytes.byteLength) };
  delete unread["transfer-encoding"];
  const req = Object.assign(Readable.from([bytes], { objectMode: false }), {
    headers: unread,
    method,
    url,
    httpVersion,
    socket,
  }) as unknown as http.IncomingMessage;
  ctx.req = ctx.request.req = ctx.response.req = req;
}
