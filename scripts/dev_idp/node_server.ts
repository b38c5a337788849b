/**
 * The IdP's node:http server. It listens before oidc-provider exists (the issuer names its
 * port) and answers 503 until it is given the provider's handler.
 *
 * @module
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface NodeServer {
  port: number;
  serve(handler: Handler): void;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

/** A server listening on loopback `port` (0: a free one). */
export async function listenNodeServer(port = 0): Promise<NodeServer> {
  const late: { handler?: Handler } = {};
  const server = http.createServer((req, res) => {
    if (late.handler) return late.handler(req, res);
    res.statusCode = 503;
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    serve(handler) {
      late.handler = handler;
    },
    close: () =>
      new Promise((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
