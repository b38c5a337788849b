/** Small loopback servers for tests: a scripted HTTP server and a forward proxy. */

export interface Recorded {
  method: string;
  url: string;
  authorization: string | null;
  headers: Headers;
}

export interface TestServer {
  url: string;
  requests: Recorded[];
  [Symbol.asyncDispose](): Promise<void>;
}

/** An HTTP (or HTTPS with `tls`) server on 127.0.0.1 answering with `handler`. */
export function serve(
  handler: (req: Request, n: number) => Response | Promise<Response>,
  tls?: { cert: string; key: string },
): TestServer {
  const requests: Recorded[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {}, ...(tls ?? {}) },
    (req) => {
      requests.push({
        method: req.method,
        url: req.url,
        authorization: req.headers.get("authorization"),
        headers: req.headers,
      });
      return handler(req, requests.length);
    },
  );
  const scheme = tls ? "https" : "http";
  return {
    url: `${scheme}://127.0.0.1:${server.addr.port}`,
    requests,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** A forward proxy for plain-http requests (absolute-form request targets); records what it forwards. */
export function forwardProxy(): TestServer {
  return serve(async (req) => {
    const target = new URL(req.url);
    const headers = new Headers(req.headers);
    headers.delete("proxy-connection");
    const res = await fetch(target, {
      method: req.method,
      headers,
      body: req.body ? await req.arrayBuffer() : null,
      redirect: "manual",
    });
    return new Response(res.body, { status: res.status, headers: res.headers });
  });
}
