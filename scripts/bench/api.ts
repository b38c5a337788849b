/**
 * The loopback API the benchmark calls: lighter than the dev IdP's (no request record, big
 * chunks), so what is measured is the client, not the server. Every route wants a bearer token
 * the dev IdP issued: each new token is verified once with jose against the IdP's JWKS, then
 * only its expiry is checked, so an expired token gets 401 as it would at a real API.
 *
 * - GET /ok: `{"ok":true}`
 * - GET /slow?ms=N: the same after N ms
 * - GET /bytes/N: N bytes, streamed in 256 KiB chunks
 *
 * @module
 */
import type { jose } from "../deps.ts";

export interface BenchApi {
  /** "http://127.0.0.1:<port>" */
  url: string;
  /** Responses per status, and /bytes bodies streamed to the end. */
  stats: { byStatus: Record<number, number>; streamsCompleted: number };
  close(): Promise<void>;
}

const CHUNK = new Uint8Array(256 * 1024).map((_, i) => i % 251);
const MAX_TOKENS = 64;

function bytes(total: number, done: () => void): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const n = Math.min(CHUNK.length, total - sent);
      if (n <= 0) {
        controller.close();
        done();
        return;
      }
      controller.enqueue(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n));
      sent += n;
    },
  }, { highWaterMark: 1 });
}

/** Starts the API; `verify` checks a token it has not seen (signature, issuer, audience, expiry). */
export async function startBenchApi(
  verify: (token: string) => Promise<jose.JWTPayload>,
): Promise<BenchApi> {
  /** Verified tokens and their expiry (ms since the epoch). */
  const known = new Map<string, number>();
  const stats: BenchApi["stats"] = { byStatus: {}, streamsCompleted: 0 };
  const closing = new AbortController();

  async function authorized(req: Request): Promise<boolean> {
    const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(req.headers.get("authorization") ?? "");
    if (!m) return false;
    const token = m[1]!;
    let exp = known.get(token);
    if (exp === undefined) {
      try {
        const claims = await verify(token);
        exp = (claims.exp ?? Infinity) * 1000;
      } catch {
        return false;
      }
      if (known.size >= MAX_TOKENS) known.delete(known.keys().next().value!);
      known.set(token, exp);
    }
    return Date.now() < exp;
  }

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (req.method !== "GET") return new Response("method not allowed\n", { status: 405 });
    if (!await authorized(req)) {
      return Response.json({ error: "invalid_token" }, {
        status: 401,
        headers: { "www-authenticate": 'Bearer error="invalid_token"' },
      });
    }
    if (url.pathname === "/ok") return Response.json({ ok: true });
    if (url.pathname === "/slow") {
      const ms = Math.min(Number(url.searchParams.get("ms") ?? 0) || 0, 60_000);
      await new Promise<void>((resolve) => {
        const stop = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          closing.signal.removeEventListener("abort", stop);
          resolve();
        }, ms);
        closing.signal.addEventListener("abort", stop, { once: true });
      });
      return Response.json({ ok: true });
    }
    const n = /^\/bytes\/(\d+)$/.exec(url.pathname);
    if (n) {
      const total = Number(n[1]);
      return new Response(bytes(total, () => stats.streamsCompleted++), {
        headers: { "content-type": "application/octet-stream", "content-length": String(total) },
      });
    }
    return Response.json({ error: "not_found" }, { status: 404 });
  }

  const listening = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => listening.resolve(port),
  }, async (req) => {
    const res = await handle(req);
    stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
    return res;
  });
  const port = await listening.promise;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    async close() {
      closing.abort();
      // A client that stopped reading a stream would hold a graceful shutdown: a second at most.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        server.shutdown(),
        new Promise((resolve) => timer = setTimeout(resolve, 1000)),
      ]);
      clearTimeout(timer);
    },
  };
}
