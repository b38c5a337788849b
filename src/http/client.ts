/**
 * The authenticated fetch every API call goes through: URLs resolved against base_url, the token
 * and the env's headers sent only to base_url's origin (and dropped on a redirect elsewhere), one
 * retry with a new token after a 401 (a step-up challenge is thrown instead: step_up.ts), retries
 * with backoff for idempotent requests, a timeout on
 * every request (until the headers arrive, then on each wait for the body: a body that goes quiet
 * for that long, or breaks off, ends with a NetworkError; see watched_response.ts for how each
 * way of reading it is timed), and `User-Agent: lmi/<version>`.
 *
 * It is the library's hot path (a script may make thousands of calls a second), so a request
 * does only what it must: no timer of its own (alarms.ts), headers as a plain record
 * (header_map.ts), targets resolved once per distinct path, the response left as fetch made it.
 *
 * @module
 */
import type { Deps } from "../context.ts";
import type { ResolvedEnv } from "../config/resolve.ts";
import { formatDuration } from "../config/duration.ts";
import type { TokenSet } from "../context.ts";
import type { Logger } from "../ui/log.ts";
import { tokenTypeLabel } from "../ui/token_output.ts";
import { VERSION } from "../version.ts";
import { AuthError, NetworkError } from "../errors.ts";
import { printable, safeText } from "../ui/text.ts";
import type { StallReason, WatchOptions } from "./body.ts";
import { clearAlarm, setAlarm } from "./alarms.ts";
import { watchedResponse } from "./watched_response.ts";
import { networkError } from "./transport.ts";
import {
  backoffMs,
  isConnectionReset,
  isIdempotent,
  RETRY_AFTER_CAP_MS,
  RETRY_STATUSES,
  retryAfterMs,
} from "./retry.ts";
import { resolveTarget, type Target } from "./url.ts";
import { HeaderMap } from "./header_map.ts";
import { lazyImport } from "../util/lazy.ts";

/**
 * Supplies tokens: the current one, or a new one when the API refused `rejectedToken`. A token
 * at hand may be returned as it is (no promise): the request then waits for nothing.
 */
export type TokenSource = (
  options: { rejectedToken?: string },
) => TokenSet | Promise<TokenSet>;

export interface AuthedFetchOptions {
  env: ResolvedEnv;
  deps: Pick<Deps, "fetch" | "now" | "sleep"> & { random?: () => number };
  log: Logger;
  /** Undefined for envs without authentication. */
  token?: TokenSource;
}

export type AuthedFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const MAX_REDIRECTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const USER_AGENT = `lmi/${VERSION}`;
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization", "dpop"];

/** A fetch bound to one env. */
export function createAuthedFetch(options: AuthedFetchOptions): AuthedFetch {
  const { env, deps, log } = options;
  const random = deps.random ?? Math.random;
  /** The API's latest `DPoP-Nonce` (RFC 9449 §9), sent in the next proofs. */
  let dpopNonce: string | undefined;
  const envHeaders = Object.entries(env.headers);
  /** Resolved request targets by the text given (an API is called on few distinct paths). */
  const targets = new Map<string, Target>();
  const targetOf = (text: string): Target => {
    let target = targets.get(text);
    if (!target) {
      target = resolveTarget(env.baseUrl, text, env.name);
      if (targets.size >= 256) targets.clear();
      targets.set(text, target);
    }
    return target;
  };
  /** The Authorization value of the last token used. */
  let credentials: { token: TokenSet; value: string } | undefined;
  const authorization = (token: TokenSet): string => {
    if (credentials?.token !== token) {
      credentials = { token, value: `${tokenTypeLabel(token.tokenType)} ${token.accessToken}` };
    }
    return credentials.value;
  };

  return async (input, init = {}) => {
    const request = input instanceof Request ? input : undefined;
    const target = targetOf(request ? request.url : String(input));
    const method = (init.method ?? request?.method ?? "GET").toUpperCase();
    const headers = HeaderMap.of(request ? request.headers : init.headers);
    if (request) { for (const [k, v] of new Headers(init.headers)) headers.set(k, v); }
    if (!headers.has("user-agent")) headers.set("user-agent", USER_AGENT);
    if (target.sameOrigin) {
      for (const [k, v] of envHeaders) if (!headers.has(k)) headers.set(k, v);
    }
    let body: BodyInit | null | undefined = init.body ??
      (request?.body ? await request.arrayBuffer() : undefined);
    const replayable = !(body instanceof ReadableStream);
    if (body instanceof FormData || body instanceof URLSearchParams || body instanceof Blob) {
      // Serialise once so every attempt sends the same bytes with the same content type.
      const r = new Response(body);
      if (!headers.has("content-type") && r.headers.get("content-type")) {
        headers.set("content-type", r.headers.get("content-type")!);
      }
      body = await r.arrayBuffer();
    }

    let token: TokenSet | undefined;
    const useToken = target.sameOrigin && options.token !== undefined &&
      !headers.has("authorization");
    if (useToken) {
      const given = options.token!({});
      token = given instanceof Promise ? await given : given;
    }
    let retried401 = false;
    let retriedNonce = false;
    for (let attempt = 0;; attempt++) {
      /** A proof for one hop (RFC 9449 §4.2: htm and htu are those of each request). */
      let prove: ((hopMethod: string, url: URL) => Promise<string>) | undefined;
      if (useToken && token) {
        headers.set("authorization", authorization(token));
        if (token.dpopKey) {
          const { createProof } = await lazyImport<typeof import("./dpop.ts")>(
            "./dpop.ts",
            import.meta.url,
          );
          const { dpopKey, accessToken } = token;
          prove = (hopMethod, url) =>
            createProof(dpopKey, {
              method: hopMethod,
              url,
              accessToken,
              now: deps.now(),
              ...(dpopNonce !== undefined ? { nonce: dpopNonce } : {}),
            });
          headers.set("dpop", await prove(method, target.url));
        }
      }
      let response: Response;
      /** Whether the last hop carried the token: a redirect to another origin drops it. */
      let tokenSent = true;
      try {
        const signal = init.signal ?? undefined;
        response = await sendOnce(target.url, method, headers, body, signal);
        if (REDIRECT_STATUSES.has(response.status)) {
          [response, tokenSent] = await followRedirects(
            response,
            target.url,
            method,
            headers,
            body,
            signal,
            prove,
          );
        }
      } catch (err) {
        if (isIdempotent(method) && attempt < env.retries && replayable && isConnectionReset(err)) {
          const wait = backoffMs(attempt, random);
          log.info(
            `connection to ${target.url.origin} dropped; retrying in ${formatDuration(wait)}`,
          );
          await deps.sleep(wait);
          continue;
        }
        throw err;
      }
      if (token?.dpopKey) {
        const { nonceChallenge } = await lazyImport<typeof import("./dpop.ts")>(
          "./dpop.ts",
          import.meta.url,
        );
        const nonce = nonceChallenge(response);
        if (nonce === undefined) {
          dpopNonce = response.headers.get("dpop-nonce") ?? dpopNonce;
        } else if (retriedNonce || !replayable) {
          await response.body?.cancel();
          throw new AuthError(
            "DPOP_NONCE_LOOP",
            `the API at ${target.url.origin} asked for a new DPoP nonce again after a retry with its nonce`,
            {
              hint:
                "the API keeps rejecting lmi's DPoP proofs; check this machine's clock and the API's DPoP nonce handling",
            },
          );
        } else {
          await response.body?.cancel();
          log.info("the API asked for a DPoP nonce; retrying once with it");
          dpopNonce = nonce;
          retriedNonce = true;
          attempt--;
          continue;
        }
      }
      // Only an answer to a request that carried the token is about it: a redirect to another
      // origin went without it, and that host's challenge is not the API's.
      const refused = (response.status === 401 || response.status === 403) && token !== undefined &&
        useToken && tokenSent;
      if (refused) {
        // A step-up challenge asks for another sign-in or scope, not for a new token of the
        // same session: not retried (RFC 9470 §3, RFC 6750 §3.1).
        const header = response.headers.get("www-authenticate");
        if (header !== null) {
          const stepUp = await lazyImport<typeof import("./step_up.ts")>(
            "./step_up.ts",
            import.meta.url,
          );
          const challenge = stepUp.stepUpChallenge(header, token!.tokenType);
          if (challenge) {
            await response.body?.cancel();
            throw stepUp.stepUpError(env, challenge, {
              status: response.status,
              method,
              url: response.url || target.url.href,
            });
          }
        }
      }
      if (response.status === 401 && refused && !retried401) {
        if (!replayable) {
          log.warn(
            "the API answered 401; not retried with a new token: the request body is a stream that cannot be replayed",
          );
          return response;
        }
        retried401 = true;
        await response.body?.cancel();
        log.info("the API answered 401; retrying once with a new token");
        token = await options.token!({ rejectedToken: token!.accessToken });
        attempt--;
        continue;
      }
      if (
        RETRY_STATUSES.has(response.status) && isIdempotent(method) && attempt < env.retries &&
        replayable
      ) {
        const asked = retryAfterMs(response.headers.get("retry-after"), deps.now());
        if (asked === undefined || asked <= RETRY_AFTER_CAP_MS) {
          const wait = asked ?? backoffMs(attempt, random);
          await response.body?.cancel();
          log.info(
            `${response.status} from ${target.url.href}; retry ${
              attempt + 1
            } of ${env.retries} in ${formatDuration(wait)}`,
          );
          await deps.sleep(wait);
          continue;
        }
      }
      return response;
    }
  };

  /**
   * The rest of a request that was redirected: redirects are followed by hand so credentials
   * never cross to another origin; a DPoP proof is made anew (`prove`) for each same-origin
   * hop's method and URL.
   */
  async function followRedirects(
    first: Response,
    start: URL,
    method: string,
    headers: HeaderMap,
    body: BodyInit | null | undefined,
    signal: AbortSignal | undefined,
    prove?: (method: string, url: URL) => Promise<string>,
  ): Promise<[Response, boolean]> {
    let response = first;
    let url = start;
    let currentMethod = method;
    let currentBody = body;
    /** A copy: the caller's headers serve the next attempt as they were. */
    const currentHeaders = new HeaderMap(headers);
    for (let hop = 0;; hop++) {
      if (
        !REDIRECT_STATUSES.has(response.status) || hop >= MAX_REDIRECTS ||
        !response.headers.has("location")
      ) {
        return [response, currentHeaders.has("authorization")];
      }
      const location = response.headers.get("location")!;
      await response.body?.cancel();
      const next = new URL(location, url);
      if (next.origin !== url.origin) {
        for (const h of CREDENTIAL_HEADERS) currentHeaders.delete(h);
        for (const h of Object.keys(env.headers)) currentHeaders.delete(h);
      }
      if (
        response.status === 303 ||
        ((response.status === 301 || response.status === 302) && currentMethod === "POST")
      ) {
        currentMethod = currentMethod === "HEAD" ? "HEAD" : "GET";
        currentBody = undefined;
        currentHeaders.delete("content-type");
        currentHeaders.delete("content-length");
      }
      if (prove && currentHeaders.has("dpop")) {
        currentHeaders.set("dpop", await prove(currentMethod, next));
      }
      log.debug(`following a ${response.status} redirect to ${next.href}`);
      url = next;
      response = await sendOnce(url, currentMethod, currentHeaders, currentBody, signal);
    }
  }

  async function sendOnce(
    url: URL,
    method: string,
    headers: HeaderMap,
    body: BodyInit | null | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const controller = new AbortController();
    const alarm = setAlarm(
      env.timeoutMs,
      () => controller.abort(new DOMException("timed out", "TimeoutError")),
    );
    const onAbort = signal && (() => controller.abort(signal.reason));
    if (onAbort) signal!.addEventListener("abort", onAbort, { once: true });
    if (log.level >= 2) {
      log.debug(`> ${method} ${url.href}`);
      for (const [k, v] of headers.sorted()) log.debug(`> ${k}: ${v}`);
    }
    const started = deps.now();
    try {
      // Only what differs from fetch's defaults: each option given costs a little per request.
      const init: RequestInit = {
        headers: headers.toRecord(),
        redirect: "manual",
        signal: controller.signal,
      };
      if (method !== "GET") init.method = method;
      if (body !== undefined && body !== null) init.body = body;
      const response = await deps.fetch(url.href, init);
      if (log.level >= 2) {
        log.debug(
          `< ${response.status} ${printable(response.statusText)} (${deps.now() - started} ms)`,
        );
        for (const [k, v] of response.headers) log.debug(`< ${k}: ${printable(v)}`);
      }
      return watchedResponse(response, new BodyWatch(env.timeoutMs, controller, url, signal));
    } catch (err) {
      if (signal?.aborted) throw err;
      const timedOut = controller.signal.aborted;
      throw networkError(err, url.href, timedOut ? env.timeoutMs : undefined);
    } finally {
      clearAlarm(alarm);
      if (onAbort) signal!.removeEventListener("abort", onAbort);
    }
  }
}

/** How an API response's body is watched (one object per request, its methods shared). */
class BodyWatch implements WatchOptions {
  constructor(
    readonly idleMs: number,
    /** The request's own abort (it also ends the body). */
    readonly controller: AbortController,
    readonly url: URL,
    /** The caller's signal: a body it aborted ends with its reason. */
    readonly signal: AbortSignal | undefined,
  ) {}

  abort(reason: unknown): void {
    this.controller.abort(reason);
  }

  fail(reason: StallReason): unknown {
    return this.signal?.aborted ? this.signal.reason : bodyError(reason, this.url.href);
  }
}

/** The error a response body ends with when the API stops sending it. */
export function bodyError(reason: StallReason, url: string): NetworkError {
  if (reason.kind !== "failed") {
    const how = reason.kind === "idle" ? "no data" : "not all of it";
    return new NetworkError(
      "TIMEOUT",
      `the response from ${url} timed out after ${formatDuration(reason.ms)} (${how})`,
      { hint: "the API stopped sending; check its health or raise the env's timeout" },
    );
  }
  const err = reason.error;
  if (err instanceof NetworkError) return err; // an inner watch said it already
  return new NetworkError(
    "STOPPED_SENDING",
    `the API stopped sending the response from ${url}: ${
      safeText(err instanceof Error ? err.message : String(err), 200)
    }`,
    {
      hint: "the connection broke off mid-answer; check the network and the API's health",
      cause: err,
    },
  );
}
