/**
 * The protected API's routes: every request recorded, then /public open to all, and /whoami,
 * /echo, /slow, /status/:code and /bytes/:n behind a bearer token checked against the IdP's
 * JWKS (or refused by a forced 401).
 *
 * @module
 */
import type { jose } from "../deps.ts";
import { byteStream } from "./byte_stream.ts";
import type { ApiRequestRecord } from "./types.ts";
import { MAX_DELAY_MS, sleep } from "./util.ts";

/** What the routes share with the IdP: the record, the forced 401s, the token check. */
export interface ApiState {
  requests: ApiRequestRecord[];
  fail401: number;
  /** Set by startDevIdp once the issuer is known; until then protected routes answer 503. */
  verify?: (token: string) => Promise<jose.JWTPayload>;
}

const MAX_BYTES = 2 ** 31;
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

const REDACTED_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
]);

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

function redactedHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = REDACTED_HEADERS.has(name) ? "[redacted]" : value;
  });
  return out;
}

function unauthorized(description: string): Response {
  const quoted = description.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, " ");
  return json({ error: "invalid_token", error_description: description }, 401, {
    "www-authenticate": `Bearer error="invalid_token", error_description="${quoted}"`,
  });
}

export async function apiHandler(
  req: Request,
  state: ApiState,
  closing: AbortSignal,
): Promise<Response> {
  const url = new URL(req.url);
  const bodyBytes = new Uint8Array(await req.arrayBuffer());
  const bodyText = new TextDecoder().decode(bodyBytes);
  const authorization = req.headers.get("authorization");
  const headers = redactedHeaders(req.headers);
  const query = Object.fromEntries(url.searchParams);
  const record: ApiRequestRecord = {
    method: req.method,
    path: url.pathname,
    query,
    hasAuthorization: authorization !== null,
    headers,
    bodyBytes: bodyBytes.byteLength,
  };
  const scheme = authorization?.trim().split(/\s+/)[0];
  if (scheme) record.authorizationScheme = scheme;
  state.requests.push(record);

  const path = url.pathname;
  if (path === "/public") return json({ ok: true });

  const route = /^\/(?:whoami|echo|slow|status\/\d+|bytes\/\d+)$/.test(path);
  if (!route) return json({ error: "not_found", error_description: `no route ${path}` }, 404);
  if (path !== "/echo" && req.method !== "GET" && req.method !== "HEAD") {
    return json({ error: "method_not_allowed" }, 405, { allow: "GET, HEAD" });
  }

  // Token check (forced failures first).
  if (state.fail401 > 0) {
    state.fail401--;
    return unauthorized("token rejected (forced by fail401)");
  }
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)$/i.exec(authorization?.trim() ?? "");
  if (!match?.[1]) return unauthorized("missing bearer token");
  if (!state.verify) return json({ error: "temporarily_unavailable" }, 503);
  let claims: jose.JWTPayload;
  try {
    claims = await state.verify(match[1]);
  } catch (err) {
    return unauthorized(`token verification failed: ${(err as Error).message}`);
  }

  if (path === "/whoami") {
    return json({
      sub: claims.sub,
      client_id: claims.client_id,
      scope: claims.scope,
      aud: claims.aud,
    });
  }
  if (path === "/echo") {
    return json({ method: req.method, path, query, headers, body: bodyText });
  }
  if (path === "/slow") {
    const ms = Number(url.searchParams.get("ms") ?? "0");
    if (!Number.isFinite(ms) || ms < 0 || ms > MAX_DELAY_MS) {
      return json({ error: "invalid_request", error_description: "ms must be 0-600000" }, 400);
    }
    // Not req.signal: reading it makes Deno.serve warn about its legacy abort behaviour.
    await sleep(ms, closing);
    return json({ ok: true });
  }
  const status = /^\/status\/(\d+)$/.exec(path);
  if (status?.[1]) {
    const code = Number(status[1]);
    if (code < 200 || code > 599) {
      return json({ error: "invalid_request", error_description: "status must be 200-599" }, 400);
    }
    const extra: Record<string, string> = {};
    const retryAfter = url.searchParams.get("retry_after");
    if (retryAfter !== null) extra["retry-after"] = retryAfter;
    if (NULL_BODY_STATUSES.has(code)) return new Response(null, { status: code, headers: extra });
    return json({ status: code }, code, extra);
  }
  const bytes = /^\/bytes\/(\d+)$/.exec(path);
  if (bytes?.[1]) {
    const total = Number(bytes[1]);
    if (total > MAX_BYTES) {
      return json({ error: "invalid_request", error_description: "too many bytes" }, 400);
    }
    return new Response(byteStream(total, closing), {
      headers: { "content-type": "application/octet-stream", "content-length": String(total) },
    });
  }
  return json({ error: "not_found" }, 404);
}
