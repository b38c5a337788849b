/**
 * The one-shot loopback server for the authorization-code redirect: `http://127.0.0.1:<port>/callback`.
 * A callback with a wrong or missing `state` is refused and the wait goes on (any web page can
 * send the browser there); the first with this sign-in's state (a code, or an error from the
 * IdP) ends it.
 *
 * @module
 */
import { UsageError } from "../errors.ts";

export interface LoopbackServer {
  redirectUri: string;
  /** Resolves with the address of the first callback with the expected state. */
  result: Promise<URL>;
  /** Answer the browser that delivered the valid callback (its page), then stop listening. */
  finish(page: string, status?: number): Promise<void>;
  close(): Promise<void>;
}

function html(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;margin:0;color:#1f2328}
main{max-width:32rem;padding:2rem;border:1px solid #d0d7de;border-radius:12px}h1{font-size:1.25rem;margin:0 0 .5rem}</style>
</head><body><main><h1>${title}</h1><p>${body}</p></main></body></html>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const pages = {
  success: (user: string) =>
    html(
      "Signed in to lmi",
      `Signed in to lmi as <strong>${escapeHtml(user)}</strong>. You can close this tab.`,
    ),
  failure: (message: string) =>
    html(
      "Sign-in failed",
      `${escapeHtml(message)} You can close this tab and return to the terminal.`,
    ),
  badState: () =>
    html(
      "Not this sign-in",
      "This link does not belong to the sign-in lmi is waiting for. Start again from the terminal.",
    ),
};

/** Listen on `host:port` (0: any free port). A taken fixed port is a usage error naming it. */
export function startLoopback(host: string, port: number, expectedState: string): LoopbackServer {
  let settle!: (url: URL) => void;
  const result = new Promise<URL>((resolve) => settle = resolve);
  let pending: ((response: Response) => void) | undefined;
  let done = false;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      { hostname: host.replace(/^\[|\]$/g, ""), port, onListen: () => {} },
      (req) => {
        const url = new URL(req.url);
        if (url.pathname !== "/callback" || done) return new Response("Not found", { status: 404 });
        if (url.searchParams.get("state") !== expectedState) {
          return new Response(pages.badState(), {
            status: 400,
            headers: { "content-type": "text/html; charset=utf-8" },
          });
        }
        done = true;
        settle(url);
        return new Promise<Response>((resolve) => pending = resolve);
      },
    );
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) {
      throw new UsageError("PORT_IN_USE", `port ${port} on ${host} is already in use`, {
        hint: "free it, or set redirect_port = 0 in [sso] (or --port 0) to use any free port",
      });
    }
    throw err;
  }
  const shownHost = host === "localhost" ? "localhost" : host;
  return {
    redirectUri: `http://${shownHost}:${server.addr.port}/callback`,
    result,
    async finish(page, status = 200) {
      pending?.(
        new Response(page, {
          status,
          headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
        }),
      );
      await new Promise((r) => setTimeout(r, 50));
      await server.shutdown();
    },
    close: () => server.shutdown(),
  };
}
