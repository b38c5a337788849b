/**
 * A hostile server on loopback for the fault suite: raw HTTP/1.1 over TCP, so it can do what a
 * well-behaved server library will not (stall after the headers, drip, never end, close
 * mid-body). Every path is `/<mode>/…`: a token endpoint (POST), discovery and JWKS (GET), or an
 * API answer (`/<mode>/api…`). Modes that already work are here too, so they stay working.
 */

/** One way for a server to misbehave (or a bad answer that lmi already handles). */
export type HostileMode =
  // defects of issue 9 (network)
  | "stall" // headers, a few bytes, then nothing
  | "drip" // a byte a second
  | "endless" // a body that never ends
  | "whitespace" // 200 MB of whitespace, then valid JSON (streamed, never held in memory)
  | "early-close" // Content-Length promises more than is sent; the connection closes
  | "huge-expiry" // expires_in: 1e300
  | "crlf-token" // CR/LF in access_token (header injection)
  | "long-description" // 20,000 characters of error_description with ANSI/OSC escapes
  | "endless-jwks" // a JWT access token from this issuer, and a JWKS that never ends
  // secrets a -vv log showed (the body was logged before its tokens were known)
  | "escaped-key" // `"\u0061ccess_token"`: the key written with a JSON escape
  | "snippet-edge" // an access token that crosses the 2 KB snippet the log shows
  | "escaped-value" // a GitHub Actions OIDC answer (`oidc…`) with `"\u0076alue"`; tokens as "ok"
  // bad answers that already give a clear error
  | "html"
  | "empty"
  | "array"
  | "null"
  | "missing-fields"
  | "redirect-away" // a redirect to another origin
  | "hang" // accepts the connection, never answers
  // a good answer
  | "ok";

/** What `long-description` sends: escapes that would recolour, retitle and hyperlink a terminal. */
export const ESCAPES = "\x1b[31mRED\x1b[0m \x1b]0;pwned-title\x07 " +
  "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\ \r\n\x07\x00";
export const LONG_DESCRIPTION = `${ESCAPES}${"A".repeat(20_000)}`;

export const WHITESPACE_BYTES = 200 * 1024 * 1024;

/** Opaque (not JWT-shaped) secrets the leak modes send, each unlike the others and the rest. */
export const LEAK_SECRETS = {
  escapedKey: "ekQ7vTz2L9wXa3Ns8Rb4Hc6Jd1Kf5Mg0Ph2Ui7Yj3Wl9Eo4Tq8Ar6Ss1Dz5Fx0Cv7Gb2Nn4Bm8Ve3",
  snippetEdge:
    "seZ4kP9vR2mT6wQ1xL8nB3jH5gF7dS0aY4cV9bN2mK6lJ8hG1fD3sA5qW7eR0tY2uI4oP6zX8cV1bN3mQ9wE5rT7" +
    "yU0iO2pA4sD6fG8hJ1kL3zX5cV7bN9mQ2wE4rT6yU8iO0pA3sD5fG7hJ9kL1zX2cV4bN6mQ8wE0rT3yU5iO7pA9sD",
  subjectToken:
    "stH6jK1lZ8xC3vB5nM9qW2eR4tY7uI0oP6aS1dF3gH5jK8lZ2xC4vB7nM9qW0eR3tY5uI8oP1aS6dF9gH2jK4",
};

export interface HostileServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `url/<mode>` */
  base(mode: HostileMode): string;
  [Symbol.asyncDispose](): Promise<void>;
}

const enc = new TextEncoder();
const GOOD_TOKEN = JSON.stringify({
  access_token: "hostile-good-token",
  token_type: "Bearer",
  expires_in: 300,
});

/** Start the server; `await using` closes it and every connection it holds. */
export function startHostile(): HostileServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  const conns = new Set<Deno.Conn>();
  const stop = new AbortController();
  (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      handle(conn, url, stop.signal).catch(() => {}).finally(() => {
        conns.delete(conn);
        try {
          conn.close();
        } catch { /* closed */ }
      });
    }
  })().catch(() => {});
  return {
    url,
    base: (mode) => `${url}/${mode}`,
    [Symbol.asyncDispose]() {
      stop.abort();
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      return Promise.resolve();
    },
  };
}

/** Read one request's head and body (Content-Length only: lmi sends nothing chunked). */
async function readRequest(conn: Deno.Conn): Promise<{ method: string; path: string } | null> {
  let data: Uint8Array = new Uint8Array(0);
  const buf = new Uint8Array(16 * 1024);
  for (;;) {
    const text = new TextDecoder().decode(data);
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      const [line, ...headers] = text.slice(0, end).split("\r\n");
      const length = Number(
        headers.find((h) => /^content-length:/i.test(h))?.split(":")[1]?.trim() ?? 0,
      );
      while (data.length < end + 4 + length) {
        const n = await conn.read(buf);
        if (n === null) return null;
        data = join(data, buf.subarray(0, n));
      }
      const [method, path] = line!.split(" ");
      return { method: method!, path: path! };
    }
    const n = await conn.read(buf);
    if (n === null) return null;
    data = join(data, buf.subarray(0, n));
  }
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

async function write(conn: Deno.Conn, data: string | Uint8Array): Promise<void> {
  let bytes = typeof data === "string" ? enc.encode(data) : data;
  while (bytes.length > 0) bytes = bytes.subarray(await conn.write(bytes));
}

function head(status: string, headers: Record<string, string | number>): string {
  return `HTTP/1.1 ${status}\r\n` +
    Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n";
}

/** A whole answer with a Content-Length. */
function answer(conn: Deno.Conn, status: string, type: string, body: string): Promise<void> {
  const bytes = enc.encode(body);
  return write(
    conn,
    join(
      enc.encode(head(status, {
        "content-type": type,
        "content-length": bytes.length,
        connection: "close",
      })),
      bytes,
    ),
  );
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

async function handle(conn: Deno.Conn, url: string, signal: AbortSignal): Promise<void> {
  const request = await readRequest(conn);
  if (!request) return;
  const [, mode = "", ...rest] = request.path.split("/");
  const what = rest.join("/");
  const api = what.startsWith("api");
  const json = "application/json";
  // Discovery (GET …/.well-known/…) answers well and points at this mode's token and JWKS URLs,
  // except in modes that are about discovery itself.
  if (what.startsWith(".well-known/") && mode !== "redirect-away" && mode !== "whitespace") {
    return answer(
      conn,
      "200 OK",
      json,
      JSON.stringify({
        issuer: `${url}/${mode}`,
        token_endpoint: `${url}/${mode}/token`,
        jwks_uri: `${url}/${mode}/jwks`,
      }),
    );
  }
  const leak = leakAnswer(mode as HostileMode, what);
  if (leak !== undefined) return answer(conn, "200 OK", json, leak);
  const okBody = api ? "partial body from the API " : GOOD_TOKEN;
  const type = api ? "text/plain" : json;
  switch (mode as HostileMode) {
    case "ok":
      return answer(conn, "200 OK", json, GOOD_TOKEN);
    case "endless-jwks":
      if (what === "jwks") return endless(conn, "200 OK", signal);
      return answer(
        conn,
        "200 OK",
        json,
        JSON.stringify({ access_token: jwt(`${url}/${mode}`), token_type: "Bearer" }),
      );
    case "hang":
      return await sleep(120_000, signal);
    case "stall":
      await write(conn, head("200 OK", { "content-type": type, "content-length": 10_000 }));
      await write(conn, okBody.slice(0, 8));
      return await sleep(120_000, signal);
    case "drip": {
      const status = what.startsWith("api/error") ? "500 Internal Server Error" : "200 OK";
      await write(
        conn,
        head(status, { "content-type": json, "content-length": GOOD_TOKEN.length }),
      );
      for (const ch of GOOD_TOKEN) {
        if (signal.aborted) return;
        await write(conn, ch);
        await sleep(1000, signal);
      }
      return;
    }
    case "endless":
      // The API's endless error body reaches the test's captured stdout: paced, so a fast machine
      // cannot fill the test's memory before lmi's timeout ends it.
      return what.startsWith("api/error")
        ? endless(conn, "500 Internal Server Error", signal, 10)
        : endless(conn, "200 OK", signal);
    case "whitespace": {
      await write(conn, head("200 OK", { "content-type": json, "transfer-encoding": "chunked" }));
      const chunk = chunked(new Uint8Array(1024 * 1024).fill(0x20));
      for (let sent = 0; sent < WHITESPACE_BYTES && !signal.aborted; sent += 1024 * 1024) {
        await write(conn, chunk);
      }
      await write(conn, chunked(enc.encode(what.startsWith(".well-known") ? "{}" : GOOD_TOKEN)));
      return await write(conn, "0\r\n\r\n");
    }
    case "early-close":
      await write(conn, head("200 OK", { "content-type": type, "content-length": 10_000 }));
      return await write(conn, okBody.slice(0, 20));
    case "huge-expiry":
      return answer(
        conn,
        "200 OK",
        json,
        '{"access_token":"hostile-huge-expiry","token_type":"Bearer","expires_in":1e300}',
      );
    case "crlf-token":
      return answer(
        conn,
        "200 OK",
        json,
        JSON.stringify({ access_token: "abcdefgh\r\nX-Evil: 1", token_type: "Bearer" }),
      );
    case "long-description":
      if (api) return answer(conn, "500 Internal Server Error", "text/plain", LONG_DESCRIPTION);
      return answer(
        conn,
        "400 Bad Request",
        json,
        JSON.stringify({ error: "invalid_client", error_description: LONG_DESCRIPTION }),
      );
    case "html":
      return answer(conn, "200 OK", "text/html", "<html><body><h1>Welcome</h1></body></html>");
    case "empty":
      return answer(conn, "200 OK", json, "");
    case "array":
      return answer(conn, "200 OK", json, "[]");
    case "null":
      return answer(conn, "200 OK", json, "null");
    case "missing-fields":
      return answer(conn, "200 OK", json, '{"token_type":"Bearer","expires_in":60}');
    case "redirect-away":
      return write(
        conn,
        head("302 Found", {
          location: `${url.replace("127.0.0.1", "localhost")}/ok/${what}`,
          "content-length": 0,
          connection: "close",
        }),
      );
    default:
      return answer(conn, "404 Not Found", "text/plain", "no such mode");
  }
}

/** The byte offset of the -vv log's snippet edge (src/http/transport.ts) that a token crosses. */
const SNIPPET_EDGE = 2048;

/** The body a leak mode answers with, or undefined for the other modes. */
function leakAnswer(mode: HostileMode, what: string): string | undefined {
  const rest = `"token_type":"Bearer","expires_in":300}`;
  switch (mode) {
    case "escaped-key":
      return `{"\\u0061ccess_token":"${LEAK_SECRETS.escapedKey}",${rest}`;
    case "snippet-edge": {
      // 123 characters of the token before the edge, the rest after it.
      const head = `{"padding":"`;
      const key = `","access_token":"`;
      const padding = "x".repeat(SNIPPET_EDGE - 123 - head.length - key.length);
      return `${head}${padding}${key}${LEAK_SECRETS.snippetEdge}",${rest}`;
    }
    case "escaped-value":
      return what.startsWith("oidc")
        ? `{"count":1,"\\u0076alue":"${LEAK_SECRETS.subjectToken}"}`
        : GOOD_TOKEN;
    default:
      return undefined;
  }
}

function chunked(bytes: Uint8Array): Uint8Array {
  return join(join(enc.encode(`${bytes.length.toString(16)}\r\n`), bytes), enc.encode("\r\n"));
}

/** Spaces, 64 KB at a time (every `paceMs`, or as fast as it goes), until the client goes away. */
async function endless(
  conn: Deno.Conn,
  status: string,
  signal: AbortSignal,
  paceMs = 0,
): Promise<void> {
  await write(
    conn,
    head(status, { "content-type": "application/json", "transfer-encoding": "chunked" }),
  );
  const chunk = chunked(new Uint8Array(64 * 1024).fill(0x20));
  while (!signal.aborted) {
    await write(conn, chunk);
    if (paceMs > 0) await sleep(paceMs, signal);
  }
}

/** A JWT-shaped token (unsigned) naming `issuer`, so lmi fetches the issuer's JWKS to check it. */
function jwt(issuer: string): string {
  const part = (v: unknown) =>
    btoa(JSON.stringify(v)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  const exp = Math.floor(Date.now() / 1000) + 300;
  return `${part({ alg: "RS256", kid: "k1" })}.${part({ iss: issuer, exp })}.c2lnbmF0dXJl`;
}
