/**
 * The protected API's routes: every request recorded, then /public open to all, /redirect?to=PATH
 * (a 307 to PATH on this origin, default /whoami), and /whoami, /echo, /slow, /status/:code,
 * /bytes/:n, /stepup and /scoped behind a bearer token checked against the IdP's JWKS (or refused
 * by a forced 401). /stepup and /scoped answer step-up challenges (RFC 9470, RFC 6750 §3.1).
 *
 * @module
 */
import { jose } from "../deps.ts";
import { byteStream } from "./byte_stream.ts";
import type { ApiRequestRecord } from "./types.ts";
import { MAX_DELAY_MS, sleep } from "./util.ts";

/** What the routes share with the IdP: the record, the forced 401s, the token check. */
export interface ApiState {
  requests: ApiRequestRecord[];
  fail401: number;
  /** Set by startDevIdp once the issuer is known; until then protected routes answer 503. */
  verify?: (token: string) => Promise<jose.JWTPayload>;
  /** DPoP nonces demanded: once (until a proof carries one), always (a loop), or never. */
  dpopNonce: "once" | "always" | null;
  /** The nonce the API handed out last. */
  issuedNonce?: string;
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

/** A word in a challenge's quoted value: no quote, backslash, space or control. */
const CHALLENGE_WORD = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** The space-separated words of a query parameter, or undefined when one cannot be quoted. */
function queryWords(url: URL, name: string): string[] | undefined {
  const words = (url.searchParams.get(name) ?? "").split(" ").filter(Boolean);
  return words.every((w) => CHALLENGE_WORD.test(w)) ? words : undefined;
}

/**
 * `GET /stepup?acr=phr&max_age=300` (both optional; `acr` space-separated): the sign-in behind
 * the token must have one of those `acr` and have happened at most `max_age` seconds ago (the
 * token's `acr` and `auth_time` claims), else 401 with RFC 9470 §3's challenge naming both.
 */
function stepUp(url: URL, claims: jose.JWTPayload, scheme: string): Response {
  const acrs = queryWords(url, "acr");
  const maxAgeText = url.searchParams.get("max_age");
  if (!acrs || (maxAgeText !== null && !/^\d{1,9}$/.test(maxAgeText))) {
    return json({
      error: "invalid_request",
      error_description: "acr: words; max_age: seconds",
    }, 400);
  }
  const maxAge = maxAgeText === null ? undefined : Number(maxAgeText);
  const acrOk = acrs.length === 0 || (typeof claims.acr === "string" && acrs.includes(claims.acr));
  const authTime = typeof claims.auth_time === "number" ? claims.auth_time : undefined;
  const recent = maxAge === undefined ||
    (authTime !== undefined && Date.now() / 1000 - authTime <= maxAge);
  if (acrOk && recent) {
    return json({ ok: true, acr: claims.acr ?? null, auth_time: claims.auth_time ?? null });
  }
  const description = acrOk
    ? "a more recent authentication is required"
    : "a stronger authentication is required";
  const params = [
    'error="insufficient_user_authentication"',
    `error_description="${description}"`,
    ...(acrs.length > 0 ? [`acr_values="${acrs.join(" ")}"`] : []),
    ...(maxAge !== undefined ? [`max_age=${maxAge}`] : []),
  ];
  return json({ error: "insufficient_user_authentication", error_description: description }, 401, {
    "www-authenticate": `${challengeScheme(scheme)} ${params.join(", ")}`,
  });
}

/**
 * `GET /scoped?scope=api.write` (space-separated): the token's `scope` must hold every one, else
 * 403 with RFC 6750 §3.1's insufficient_scope challenge naming them.
 */
function scoped(url: URL, claims: jose.JWTPayload, scheme: string): Response {
  const wanted = queryWords(url, "scope");
  if (!wanted || wanted.length === 0) {
    return json({ error: "invalid_request", error_description: "scope: words" }, 400);
  }
  const granted = typeof claims.scope === "string" ? claims.scope.split(" ") : [];
  if (wanted.every((s) => granted.includes(s))) return json({ ok: true, scope: claims.scope });
  const description = "the token lacks a scope this resource needs";
  return json({ error: "insufficient_scope", error_description: description }, 403, {
    "www-authenticate": `${challengeScheme(scheme)} error="insufficient_scope", scope="${
      wanted.join(" ")
    }", error_description="${description}"`,
  });
}

/** The scheme a challenge answers a token sent with `scheme` in (RFC 9449 §7.1). */
function challengeScheme(scheme: string): string {
  return scheme.toLowerCase() === "dpop" ? "DPoP" : "Bearer";
}

function dpopUnauthorized(description: string, nonce?: string): Response {
  const error = nonce ? "use_dpop_nonce" : "invalid_dpop_proof";
  return json({ error, error_description: description }, 401, {
    "www-authenticate": `DPoP error="${error}", error_description="${description}"`,
    ...(nonce ? { "dpop-nonce": nonce } : {}),
  });
}

/**
 * RFC 9449 §7 at the resource server: a DPoP-bound token (cnf.jkt) must come with the DPoP
 * scheme and a proof signed by that key for this method and URL, with `ath` of the token and,
 * when the API demands one, its nonce. Undefined when the request passes.
 */
async function checkDpop(
  req: Request,
  url: URL,
  token: string,
  jkt: unknown,
  scheme: string,
  state: ApiState,
): Promise<Response | undefined> {
  if (scheme.toLowerCase() !== "dpop") return unauthorized("a DPoP-bound token sent as Bearer");
  if (typeof jkt !== "string") return dpopUnauthorized("the token is not DPoP-bound");
  const proof = req.headers.get("dpop");
  if (!proof) return dpopUnauthorized("missing DPoP proof");
  let payload: jose.JWTPayload;
  let header: jose.JWTHeaderParameters;
  try {
    ({ payload, protectedHeader: header } = await jose.jwtVerify(proof, jose.EmbeddedJWK, {
      typ: "dpop+jwt",
      algorithms: ["ES256", "RS256", "PS256", "EdDSA"],
      maxTokenAge: "5m",
    }));
  } catch (err) {
    return dpopUnauthorized(`bad DPoP proof: ${(err as Error).message}`);
  }
  if (await jose.calculateJwkThumbprint(header.jwk!) !== jkt) {
    return dpopUnauthorized("the proof's key is not the token's (cnf.jkt)");
  }
  if (payload.htm !== req.method) return dpopUnauthorized("htm does not match");
  if (payload.htu !== `${url.origin}${url.pathname}`) return dpopUnauthorized("htu does not match");
  const ath = jose.base64url.encode(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))),
  );
  if (payload.ath !== ath) return dpopUnauthorized("ath does not match the access token");
  if (typeof payload.jti !== "string" || !payload.jti) return dpopUnauthorized("no jti");
  const nonceOk = state.issuedNonce !== undefined && payload.nonce === state.issuedNonce;
  if (state.dpopNonce === "always" || (state.dpopNonce === "once" && !nonceOk)) {
    state.issuedNonce = crypto.randomUUID();
    return dpopUnauthorized("a DPoP nonce is required", state.issuedNonce);
  }
  return undefined;
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
  if (path === "/redirect") {
    // 307 to a path on this origin (default /whoami), keeping method and body.
    const to = url.searchParams.get("to") ?? "/whoami";
    if (!to.startsWith("/") || to.startsWith("//")) {
      return json({ error: "invalid_request", error_description: "to must be a path" }, 400);
    }
    return new Response(null, { status: 307, headers: { location: to } });
  }

  const route = /^\/(?:whoami|echo|slow|status\/\d+|bytes\/\d+|stepup|scoped)$/.test(path);
  if (!route) return json({ error: "not_found", error_description: `no route ${path}` }, 404);
  if (path !== "/echo" && req.method !== "GET" && req.method !== "HEAD") {
    return json({ error: "method_not_allowed" }, 405, { allow: "GET, HEAD" });
  }

  // Token check (forced failures first).
  if (state.fail401 > 0) {
    state.fail401--;
    return unauthorized("token rejected (forced by fail401)");
  }
  const match = /^(Bearer|DPoP)[ ]+([A-Za-z0-9._~+/=-]+)$/i.exec(authorization?.trim() ?? "");
  if (!match?.[2]) return unauthorized("missing bearer token");
  if (!state.verify) return json({ error: "temporarily_unavailable" }, 503);
  let claims: jose.JWTPayload;
  try {
    claims = await state.verify(match[2]);
  } catch (err) {
    return unauthorized(`token verification failed: ${(err as Error).message}`);
  }
  const jkt = (claims.cnf as { jkt?: unknown } | undefined)?.jkt;
  if (match[1]!.toLowerCase() === "dpop" || jkt !== undefined) {
    const refused = await checkDpop(req, url, match[2], jkt, match[1]!, state);
    if (refused) return refused;
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
  if (path === "/stepup") return stepUp(url, claims, match[1]!);
  if (path === "/scoped") return scoped(url, claims, match[1]!);
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
