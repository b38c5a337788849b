/**
 * `lmi request [-X METHOD] PATH|URL [-H 'K: V']... [-d DATA|@FILE|@-] [-i] [--env NAME]`:
 * an authenticated request to the env's API. The body goes to stdout as it arrives (ended when
 * no byte comes for the env's timeout); a non-2xx answer still prints its body, says the status
 * on stderr and exits 1. A body read whole (`--json`, an error's) must arrive within the timeout.
 *
 * @module
 */
import { envClient } from "../client.ts";
import { FailedError, q, UsageError } from "../errors.ts";
import type { Output } from "../context.ts";
import { watchStream } from "../http/body.ts";
import { bodyError } from "../http/client.ts";
import { pipeBody } from "../http/watched_response.ts";
import { snippet } from "../oauth/errors.ts";
import { REDACTED } from "../ui/redact.ts";
import { printable } from "../ui/text.ts";
import { envFor } from "./common.ts";
import type { CommandArgs, CommandContext, Flags, REQUEST_OPTIONS } from "./spec.ts";

export const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
const TOKEN_CHARS = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export interface RequestOptions {
  method: string;
  target: string;
  headers: Headers;
  data?: { source: "inline" | "file" | "stdin"; path?: string; text?: string };
  include: boolean;
}

/** Flags → options (no I/O). */
export function parseOptions(
  flags: Flags<typeof REQUEST_OPTIONS>,
  { positionals }: Pick<CommandArgs, "positionals">,
): RequestOptions {
  const { data } = flags;
  const method = (flags.method ?? (data !== undefined ? "POST" : "GET")).toUpperCase();
  if (!METHODS.includes(method)) {
    throw new UsageError("BAD_METHOD", `unknown method ${q(method)}`, {
      hint: `use one of ${METHODS.join(", ")}`,
    });
  }
  const headers = new Headers();
  for (const raw of flags.header) {
    const colon = raw.indexOf(":");
    const name = colon > 0 ? raw.slice(0, colon).trim() : "";
    if (!name || !TOKEN_CHARS.test(name)) {
      throw new UsageError("BAD_HEADER", `malformed header ${q(raw)}`, {
        hint: `write -H "Name: value"`,
      });
    }
    try {
      headers.append(name, raw.slice(colon + 1).trim());
    } catch {
      throw new UsageError("BAD_HEADER", `malformed header value in ${q(name)}`, {
        hint: "header values are one line of text",
      });
    }
  }
  const options: RequestOptions = {
    method,
    target: positionals[0]!,
    headers,
    include: flags.include,
  };
  if (data !== undefined) {
    if (data === "@-") options.data = { source: "stdin" };
    else if (data.startsWith("@")) options.data = { source: "file", path: data.slice(1) };
    else options.data = { source: "inline", text: data };
  }
  return options;
}

async function readBody(
  ctx: CommandContext,
  data: NonNullable<RequestOptions["data"]>,
): Promise<Uint8Array<ArrayBuffer>> {
  switch (data.source) {
    case "inline":
      return new TextEncoder().encode(data.text);
    case "stdin":
      return await ctx.deps.readStdin();
    case "file":
      try {
        return await Deno.readFile(data.path!);
      } catch (err) {
        throw new UsageError(
          "BAD_DATA_FILE",
          `cannot read ${q(data.path)}: ${err instanceof Error ? err.message : err}`,
          {
            hint: "check the path after @ (use @- for stdin)",
          },
        );
      }
  }
}

function guessContentType(body: Uint8Array<ArrayBuffer>): string {
  try {
    JSON.parse(new TextDecoder().decode(body));
    return "application/json";
  } catch {
    return "application/x-www-form-urlencoded";
  }
}

export async function run(options: RequestOptions, ctx: CommandContext): Promise<number> {
  const { env } = await envFor(ctx);
  const client = envClient(env, ctx);
  let body: Uint8Array<ArrayBuffer> | undefined;
  if (options.data) {
    body = await readBody(ctx, options.data);
    if (!options.headers.has("content-type")) {
      options.headers.set("content-type", guessContentType(body));
    }
  }
  const response = await client.fetch(options.target, {
    method: options.method,
    headers: options.headers,
    ...(body ? { body } : {}),
  });
  const out = ctx.deps.stdout;
  if (options.include) {
    const lines = [`HTTP/1.1 ${response.status} ${response.statusText}`];
    // Cookie values are secrets too (DESIGN.md → Redaction): -i shows that they were set, not what.
    for (const [k, v] of response.headers) {
      lines.push(`${k}: ${/^(set-)?cookie$/i.test(k) ? REDACTED : v}`);
    }
    await out.write(lines.join("\r\n") + "\r\n\r\n");
  }
  const ok = response.status >= 200 && response.status < 300;
  const isJson = /\bjson\b/i.test(response.headers.get("content-type") ?? "");
  const pretty = ctx.globals.json && isJson;
  if (ok && !pretty) {
    // Streamed (natively to a file or stdout): a body that goes quiet for the env's timeout ends.
    await pipeBody(response, out);
    return 0;
  }
  const url = response.url || options.target;
  // Read whole (or for its start, an error's): all of it must come within the env's timeout.
  const answer = response.body &&
    watchStream(response.body, {
      totalMs: env.timeoutMs,
      fail: (reason) => bodyError(reason, url),
    });
  let head: string;
  if (pretty) {
    const text = await new Response(answer).text();
    await out.write(prettyJson(text));
    head = text.slice(0, ERROR_HEAD_BYTES);
  } else {
    head = await pipeKeepingHead(answer, out);
  }
  if (!ok) {
    throw new FailedError(
      "HTTP_STATUS",
      `HTTP ${response.status} ${printable(response.statusText)} from ${options.method} ${url}: ${
        snippet(head)
      }`,
      {
        hint: response.status === 401 || response.status === 403
          ? env.auth.type === "none"
            ? `env ${JSON.stringify(env.name)} sends no token (auth type "none")`
            : tokenSent(url, env.baseUrl)
            ? "the API refused the token: check the env's scopes and audience (lmi env show)"
            : `lmi sent no token: it sends env ${JSON.stringify(env.name)}'s token only to its ` +
              `base_url's origin${
                env.baseUrl ? ` (${new URL(env.baseUrl).origin})` : " (none set)"
              }`
          : "the body is on stdout",
      },
    );
  }
  return 0;
}

/** Whether the request to `url` carried the env's token (base_url's origin only). */
function tokenSent(url: string, baseUrl: string | undefined): boolean {
  return baseUrl !== undefined && URL.parse(url)?.origin === URL.parse(baseUrl)?.origin;
}

/** How much of an error body lmi keeps for the message on stderr (the rest goes to stdout only). */
const ERROR_HEAD_BYTES = 2048;

/** Copy `body` to `out` as it arrives; return its first {@link ERROR_HEAD_BYTES} as text. */
async function pipeKeepingHead(
  body: ReadableStream<Uint8Array> | null,
  out: Output,
): Promise<string> {
  if (!body) return "";
  const head = new Uint8Array(ERROR_HEAD_BYTES);
  let kept = 0;
  const tap = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      const n = Math.min(chunk.length, ERROR_HEAD_BYTES - kept);
      head.set(chunk.subarray(0, n), kept);
      kept += n;
      controller.enqueue(chunk);
    },
  });
  await out.pipeFrom(body.pipeThrough(tap));
  return new TextDecoder().decode(head.subarray(0, kept));
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2) + "\n";
  } catch {
    return text;
  }
}
