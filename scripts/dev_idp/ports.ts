/**
 * Where the dev IdP listens: given a port N, the IdP on N, the protected API on N + 1 and the CI
 * issuer's GitHub-style endpoint on N + 2 (all on 127.0.0.1); given 0, three free ports. And the
 * error for a port another program holds.
 *
 * @module
 */

/** The three ports of a dev IdP started at `port`. */
export interface DevIdpPorts {
  idp: number;
  api: number;
  ci: number;
}

/** The highest first port: its API and CI issuer need the two after it. */
export const MAX_PORT = 65533;

/** The ports of a dev IdP started at `port` (0: any free ones). */
export function devIdpPorts(port: number): DevIdpPorts {
  if (!Number.isSafeInteger(port) || port < 0 || port > MAX_PORT) {
    throw new RangeError(`port must be a whole number from 0 to ${MAX_PORT}, got ${port}`);
  }
  return port === 0 ? { idp: 0, api: 0, ci: 0 } : { idp: port, api: port + 1, ci: port + 2 };
}

/** One of the ports the IdP was told to use is taken by another program. */
export class PortInUseError extends Error {
  override name = "PortInUseError";
  constructor(readonly port: number, options?: ErrorOptions) {
    super(`port ${port} (127.0.0.1) is in use`, options);
  }
}

/** Runs `listen`, turning "address in use" on a fixed `port` into a PortInUseError. */
export async function listenOn<T>(port: number, listen: (port: number) => Promise<T>): Promise<T> {
  try {
    return await listen(port);
  } catch (err) {
    const taken = err instanceof Deno.errors.AddrInUse ||
      (err as { code?: unknown } | null)?.code === "EADDRINUSE";
    throw taken && port !== 0 ? new PortInUseError(port, { cause: err }) : err;
  }
}
