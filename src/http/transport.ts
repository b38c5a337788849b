/**
 * The fetch that lmi's IdP calls go through: a timeout on every request, network failures
 * turned into typed errors naming the URL, `-vv` logging of each exchange (redacted), and a
 * record of the last response so an IdP error can quote a short, redacted snippet of its body.
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { ConfigError, NetworkError, q } from "../errors.ts";
import { formatDuration } from "../config/duration.ts";
import type { Logger } from "../ui/log.ts";
import { VERSION } from "../version.ts";

export interface Exchange {
  method: string;
  url: string;
  status: number;
  contentType: string;
  /** The start of the response body (at most 2 KB of text). */
  body: string;
}

export interface Transport {
  fetch: typeof globalThis.fetch;
  /** The last response received, for error messages. */
  last(): Exchange | undefined;
}

export interface TransportOptions {
  timeoutMs: number;
  log: Logger;
}

const SNIPPET_BYTES = 2048;

/** Wrap `deps.fetch` with timeout, typed network errors, logging and response capture. */
export function createTransport(
  deps: Pick<Deps, "fetch" | "now">,
  options: TransportOptions,
): Transport {
  const { timeoutMs, log } = options;
  let last: Exchange | undefined;
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    const url = request.url;
    const headers = new Headers(request.headers);
    headers.set("user-agent", `lmi/${VERSION}`);
    const bodyText = request.body ? await request.text() : undefined;
    if (log.level >= 2) {
      log.debug(`> ${request.method} ${url}`);
      for (const [k, v] of headers) log.debug(`> ${k}: ${v}`);
      if (bodyText) log.debug(`> ${bodyText}`);
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const started = deps.now();
    let response: Response;
    try {
      response = await deps.fetch(url, {
        method: request.method,
        headers,
        body: bodyText ?? null,
        redirect: request.redirect,
        signal,
      });
    } catch (err) {
      throw networkError(err, url, timeout.aborted ? timeoutMs : undefined);
    }
    const text = await response.clone().text().catch(() => "");
    last = {
      method: request.method,
      url,
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
      body: text.slice(0, SNIPPET_BYTES),
    };
    if (log.level >= 2) {
      log.debug(`< ${response.status} ${response.statusText} (${deps.now() - started} ms)`);
      for (const [k, v] of response.headers) log.debug(`< ${k}: ${v}`);
      if (text) log.debug(`< ${text.slice(0, SNIPPET_BYTES)}`);
    }
    return response;
  };
  return { fetch, last: () => last };
}

/** A typed error for a failed request: timeout, TLS, or unreachable. */
export function networkError(err: unknown, url: string, timeoutMs?: number): NetworkError {
  const chain: string[] = [];
  for (
    let e: unknown = err, depth = 0;
    e && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    chain.push(e instanceof Error ? e.message : String(e));
  }
  // "fetch failed" says nothing; the cause says what happened (refused, certificate, reset).
  const message = chain.filter((m) => m && m !== "fetch failed").join(": ") || chain[0] || "failed";
  if (timeoutMs !== undefined || (err instanceof DOMException && err.name === "TimeoutError")) {
    return new NetworkError(
      "TIMEOUT",
      `request to ${url} timed out${timeoutMs ? ` after ${formatDuration(timeoutMs)}` : ""}`,
      { hint: "check the network or raise the env's timeout", cause: err },
    );
  }
  if (/certificate|tls|ssl|handshake/i.test(message)) {
    return new NetworkError("TLS", `TLS failure talking to ${url}: ${firstLine(message)}`, {
      hint: "if the server uses a private CA, add it with ca_file in the env's config",
      cause: err,
    });
  }
  return new NetworkError("UNREACHABLE", `cannot reach ${url}: ${firstLine(message)}`, {
    hint: "check the URL, your network and any proxy settings (HTTPS_PROXY)",
    cause: err,
  });
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.slice(0, 200);
}

/** Loopback hosts, where plain http is acceptable. */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host.endsWith(".localhost") || host === "::1" ||
    /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Refuse to send credentials to a non-loopback `http://` URL. */
export function assertSecureEndpoint(url: string, what: string): void {
  const parsed = new URL(url);
  if (parsed.protocol === "https:" || (parsed.protocol === "http:" && isLoopback(parsed))) return;
  throw new ConfigError(
    "INSECURE_ENDPOINT",
    `refusing to send credentials over plain http to ${q(url)} (${what})`,
    {
      hint: "use an https:// URL; plain http is allowed only for loopback addresses",
    },
  );
}
