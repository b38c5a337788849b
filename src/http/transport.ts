/**
 * The fetch that lmi's IdP calls go through: a timeout on every whole exchange (headers and
 * body), network failures turned into typed errors naming the URL, bodies read here at most
 * {@link MAX_IDP_RESPONSE_BYTES} long, same-origin redirects followed for GETs (discovery, JWKS),
 * `-vv` logging of each exchange (redacted, control characters removed), and a record of the last
 * response so an IdP error can quote a short, redacted snippet of its body. The secrets in an
 * answer are registered with the redactor as it arrives, before anything of it is shown.
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { AuthError, ConfigError, NetworkError, q } from "../errors.ts";
import { formatDuration } from "../config/duration.ts";
import type { Logger } from "../ui/log.ts";
import { printable, safeText } from "../ui/text.ts";
import { VERSION } from "../version.ts";
import { readBounded, withBody } from "./body.ts";

export interface Exchange {
  method: string;
  url: string;
  status: number;
  contentType: string;
  /**
   * The start of the response body (at most 2 KB of text), redacted (a JSON answer written anew
   * by `Redactor.redactAnswer`).
   */
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
  /**
   * JSON fields of the answers that hold secrets besides the usual ones (access_token,
   * refresh_token, id_token, device_code…): GitHub Actions' OIDC token is its answer's `value`.
   */
  secretFields?: readonly string[];
}

const SNIPPET_BYTES = 2048;

/**
 * The largest response lmi reads from an IdP (token, discovery, JWKS, device, revocation and error
 * answers are a few KB); a larger one is refused without reading more of it.
 */
export const MAX_IDP_RESPONSE_BYTES = 1024 * 1024;

/** Wrap `deps.fetch` with timeout, typed network errors, logging and response capture. */
export function createTransport(
  deps: Pick<Deps, "fetch" | "now">,
  options: TransportOptions,
): Transport {
  const { timeoutMs, log, secretFields = [] } = options;
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
    const visited = [url];
    for (;;) {
      const target = visited.at(-1)!;
      try {
        response = await deps.fetch(target, {
          method: request.method,
          headers,
          body: bodyText ?? null,
          redirect: "manual",
          signal,
        });
      } catch (err) {
        throw networkError(err, target, timedOut(signal) ? timeoutMs : undefined);
      }
      const next = redirectTarget(request.method, target, response);
      if (next === undefined) break;
      await response.body?.cancel();
      checkRedirect(visited, next);
      if (log.level >= 2) log.debug(`< ${response.status} redirect to ${next}`);
      visited.push(next);
    }
    if (log.level >= 2) {
      log.debug(
        `< ${response.status} ${printable(response.statusText)} (${deps.now() - started} ms)`,
      );
      for (const [k, v] of response.headers) log.debug(`< ${k}: ${printable(v)}`);
    }
    const bytes = await readIdpBody(response, visited.at(-1)!, signal, timeoutMs);
    // Redacted whole, then cut: the secrets in it are registered first (whatever the -vv log or
    // an error message shows later), and a secret cut in two would match nothing.
    const shown = bytes.length > 0
      ? log.redactor.redactAnswer(new TextDecoder().decode(bytes), secretFields)
      : "";
    last = {
      method: request.method,
      url: visited.at(-1)!,
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
      body: shown.slice(0, SNIPPET_BYTES),
    };
    if (shown) log.debug(`< ${safeText(shown, SNIPPET_BYTES)}`);
    return withBody(response, bytes);
  };
  return { fetch, last: () => last };
}

/**
 * The whole body of an IdP response, at most {@link MAX_IDP_RESPONSE_BYTES}: one that stalls or
 * breaks off is a network failure (exit 5), a larger one an unusable answer (exit 4).
 */
async function readIdpBody(
  response: Response,
  url: string,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Uint8Array<ArrayBuffer>> {
  let body;
  try {
    if (Number(response.headers.get("content-length")) > MAX_IDP_RESPONSE_BYTES) {
      await response.body?.cancel();
      body = { bytes: new Uint8Array(0), complete: false };
    } else {
      body = await readBounded(response.body, MAX_IDP_RESPONSE_BYTES);
    }
  } catch (err) {
    if (timedOut(signal)) throw networkError(err, url, timeoutMs);
    if (signal.aborted) throw err; // the caller gave up
    throw new NetworkError(
      "STOPPED_SENDING",
      `the IdP stopped sending its response from ${url}: ${
        firstLine(err instanceof Error ? err.message : String(err))
      }`,
      {
        hint: "the connection broke off mid-answer; check the network and the IdP's health",
        cause: err,
      },
    );
  }
  if (!body.complete) {
    throw new AuthError(
      "IDP_RESPONSE_TOO_LARGE",
      `the IdP's response from ${url} is larger than ${
        MAX_IDP_RESPONSE_BYTES / 1024 / 1024
      } MiB, lmi's limit for an IdP response`,
      {
        hint:
          "IdP answers are a few KB; check that the issuer / token_url point at the IdP and not at another service",
        status: response.status,
      },
    );
  }
  return body.bytes;
}

/** Whether the request was given up for taking too long (lmi's timeout or openid-client's). */
function timedOut(signal: AbortSignal): boolean {
  return signal.aborted &&
    (signal.reason as { name?: string } | undefined)?.name === "TimeoutError";
}

/** How many redirects an IdP GET (discovery, JWKS) may take. */
export const MAX_REDIRECTS = 3;

/** Where a GET's 3xx response points, or undefined when it is not a redirect to follow. */
function redirectTarget(method: string, from: string, response: Response): string | undefined {
  if (method !== "GET" && method !== "HEAD") return undefined;
  if (![301, 302, 303, 307, 308].includes(response.status)) return undefined;
  const location = response.headers.get("location");
  if (!location) return undefined;
  try {
    return new URL(location, from).href;
  } catch {
    return undefined;
  }
}

/**
 * IdP redirects are followed only on the same origin (https to https, or loopback http), at
 * most {@link MAX_REDIRECTS} times: metadata and keys must come from the server that was named.
 */
function checkRedirect(visited: string[], next: string): void {
  const from = new URL(visited.at(-1)!);
  const to = new URL(next);
  if (from.protocol === "https:" && to.protocol !== "https:") {
    throw new AuthError(
      "IDP_REDIRECT_REFUSED",
      `refusing the redirect from ${from.href} to ${to.href}: it leaves https`,
      { hint: "the IdP must serve its metadata and keys over https; check the issuer URL" },
    );
  }
  if (from.origin !== to.origin) {
    throw new AuthError(
      "IDP_REDIRECT_REFUSED",
      `refusing the redirect from ${from.href} to ${to.href}: another origin`,
      {
        hint: "lmi follows IdP redirects only on the same origin; set the issuer to the final URL",
      },
    );
  }
  if (visited.length > MAX_REDIRECTS) {
    throw new AuthError(
      "IDP_REDIRECT_LOOP",
      `too many redirects (more than ${MAX_REDIRECTS}): ${[...visited, next].join(" -> ")}`,
      { hint: "the IdP's redirects do not end; check the issuer URL and the IdP's configuration" },
    );
  }
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
  // rustls's words for a first answer that is not a TLS record: a plain-http server (or another
  // protocol) on that port.
  if (/InvalidContentType|corrupt message/i.test(message) && URL.canParse(url)) {
    return notTls(new URL(url), err);
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

/**
 * An https:// URL whose server answered without TLS. On loopback that is a local server without
 * TLS, reached with http://; elsewhere lmi sends credentials only over TLS, so the URL is wrong.
 */
function notTls(url: URL, cause: unknown): NetworkError {
  const message = `the server at ${url.host} does not speak TLS (requesting ${url.href})`;
  if (isLoopback(url)) {
    // The same port: an https:// URL without one meant 443, which http:// would not.
    const plain = `http://${url.hostname}:${url.port || "443"}`;
    return new NetworkError("NOT_TLS", message, {
      hint: `a local server without TLS is reached with http://: write ${plain} instead of ` +
        url.origin,
      cause,
    });
  }
  return new NetworkError("NOT_TLS", message, {
    hint: `${url.origin} answers, but not with TLS: check the URL's host and port (lmi sends ` +
      "credentials to hosts other than this machine only over https)",
    cause,
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
