/**
 * The trusting fetch (src/http/tls.ts): HTTPS requests carry the HttpClient that adds the OS
 * store and ca_file; a plain http:// request goes out without one unless an HTTP proxy (which may
 * speak TLS) is set. A recording fetch; no network.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { trustingFetch } from "../../src/http/tls.ts";

/** What `trustingFetch` gave the underlying fetch, for each of `urls`. */
async function clientsFor(env: Record<string, string>, urls: string[]): Promise<boolean[]> {
  const seen: boolean[] = [];
  const clients = new Set<Deno.HttpClient>();
  const fetch = (_input: RequestInfo | URL, init?: RequestInit) => {
    const client = (init as { client?: Deno.HttpClient } | undefined)?.client;
    if (client) clients.add(client);
    seen.push(client !== undefined);
    return Promise.resolve(new Response("ok"));
  };
  const trusting = trustingFetch(
    // No OS store to read: the client is built from nothing but Deno's own roots.
    { fetch, env: (name) => ({ SSL_CERT_FILE: "/nonexistent/ca.pem", ...env })[name], os: "linux" },
    undefined,
  );
  try {
    for (const url of urls) await trusting(url, { method: "GET" });
  } finally {
    for (const client of clients) client.close();
  }
  return seen;
}

Deno.test("a plain http:// request needs no TLS client; https:// gets it", async () => {
  assertEquals(await clientsFor({}, ["http://127.0.0.1:8080/ok"]), [false]);
  assertEquals(await clientsFor({}, ["https://api.example/ok"]), [true]);
  // Once the client is built (an https:// request), every request takes it, as before.
  assertEquals(
    await clientsFor({}, ["http://127.0.0.1/a", "https://api.example/b", "http://127.0.0.1/c"]),
    [false, true, true],
  );
});

Deno.test("with an HTTP proxy set, http:// requests take the client too", async () => {
  for (const name of ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]) {
    const seen = await clientsFor({ [name]: "https://proxy.example:3128" }, ["http://a.example/"]);
    assert(seen[0], name);
  }
  // HTTPS_PROXY is for https:// requests only.
  assertEquals(
    await clientsFor({ HTTPS_PROXY: "https://proxy.example" }, ["http://a.example/"]),
    [false],
  );
});
