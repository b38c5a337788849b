/**
 * The protected API's server: Deno.serve on a loopback port, its routes (api_routes.ts), and
 * the `DevIdp.api` controls over its record and forced 401s.
 *
 * @module
 */
import type { jose } from "../deps.ts";
import { apiHandler, type ApiState, json } from "./api_routes.ts";
import type { DevIdp } from "./types.ts";
import { sleep } from "./util.ts";

export interface ApiHandle {
  port: number;
  /** What the tests see as `DevIdp.api`. */
  controls: DevIdp["api"];
  /** Protected routes answer 503 until they are given the token check. */
  verifyWith(verify: (token: string) => Promise<jose.JWTPayload>): void;
  close(): Promise<void>;
}

/**
 * Starts the API on `port` (0: a free one); `closing` aborting cuts short its slow answers and
 * byte streams.
 */
export async function startApi(closing: AbortSignal, port = 0): Promise<ApiHandle> {
  const state: ApiState = { requests: [], fail401: 0, dpopNonce: null };
  const listening = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen: ({ port }) => listening.resolve(port),
  }, async (req) => {
    try {
      return await apiHandler(req, state, closing);
    } catch (err) {
      return json({ error: "server_error", error_description: String(err) }, 500);
    }
  });
  return {
    port: await listening.promise,
    controls: {
      requests: state.requests,
      fail401(times = 1) {
        state.fail401 = Math.max(0, times);
      },
      dpopNonce(mode) {
        state.dpopNonce = mode;
      },
      reset() {
        state.requests.length = 0;
        state.fail401 = 0;
        state.dpopNonce = null;
      },
    },
    verifyWith(verify) {
      state.verify = verify;
    },
    // Deno.serve can only shut down gracefully, and a response stuck on a client that stopped
    // reading (without closing) would hold shutdown() forever: wait at most a second for it. The
    // listener is closed at once either way, and shutdown ends once that client lets go.
    close: async () => {
      const grace = new AbortController();
      await Promise.race([server.shutdown(), sleep(1000, grace.signal)]);
      grace.abort();
    },
  };
}
