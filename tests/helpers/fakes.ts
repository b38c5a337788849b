/** In-memory stand-ins for the dependencies object: captured output, a settable clock. */
import type { Deps, Output } from "../../src/context.ts";
import { createLogger, type Logger } from "../../src/ui/log.ts";
import { Redactor } from "../../src/ui/redact.ts";
import { dataDir } from "../../src/config/paths.ts";
import { type CacheKey, userCacheKey } from "../../src/util/cache_key.ts";
import type { sessionFrom } from "../../src/sso/login.ts";

/** The variables that put a user's home at `home` (one definition: scripts/child_env.ts). */
export { homeVars } from "../../scripts/child_env.ts";

export interface Captured extends Output {
  text(): string;
}

export function captured(isTerminal = false): Captured {
  const chunks: string[] = [];
  const dec = new TextDecoder();
  const out: Captured = {
    isTerminal,
    async pipeFrom(stream) {
      for await (const chunk of stream) await out.write(chunk);
    },
    write(chunk) {
      chunks.push(typeof chunk === "string" ? chunk : dec.decode(chunk));
      return Promise.resolve();
    },
    text: () => chunks.join(""),
  };
  return out;
}

export interface FakeDeps extends Deps {
  stdout: Captured;
  stderr: Captured;
  clock: { now: number };
  /** Interrupt the run as Ctrl-C would (its listeners hear it); false when none listens. */
  interrupt(): boolean;
}

export function fakeDeps(options: {
  env?: Record<string, string>;
  cwd?: string;
  fetch?: typeof globalThis.fetch;
  now?: number;
  /** Default: the key in the data folder `env` names (none without HOME/APPDATA). */
  cacheKey?: CacheKey;
} = {}): FakeDeps {
  const env = options.env ?? {};
  const clock = { now: options.now ?? Date.parse("2026-01-01T00:00:00Z") };
  const fetch = options.fetch ?? (() => Promise.reject(new Error("no network in this test")));
  const listeners = new Set<() => void>();
  return {
    fetch,
    now: () => clock.now,
    env: (name) => env[name],
    envAll: () => ({ ...env }),
    cwd: options.cwd ?? "/nonexistent",
    os: Deno.build.os,
    stdout: captured(),
    stderr: captured(),
    stdinIsTerminal: false,
    readStdin: () => Promise.resolve(new Uint8Array()),
    readLine: () => Promise.resolve(null),
    sleep: (ms) => {
      clock.now += ms;
      return Promise.resolve();
    },
    onInterrupt(listener) {
      const own = () => listener();
      listeners.add(own);
      return () => listeners.delete(own);
    },
    interrupt() {
      const heard = listeners.size > 0;
      for (const listener of [...listeners]) listener();
      return heard;
    },
    cacheKey: options.cacheKey ??
      userCacheKey(dataDir({ env: (name) => env[name], os: Deno.build.os })),
    clock,
  };
}

export function testLogger(deps: FakeDeps, level = 0): Logger {
  return createLogger({ level, color: false, stderr: deps.stderr, redactor: new Redactor() });
}

/**
 * The connection `sessionFrom` checks ID tokens with: an IdP at `issuer` whose JWKS holds `jwk`
 * (no network).
 */
export function connWithKey(issuer: string, jwk: JsonWebKey): Parameters<typeof sessionFrom>[2] {
  return {
    server: { issuer, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks` },
    transport: {
      fetch: () => Promise.resolve(Response.json({ keys: [jwk] })),
      last: () => undefined,
    },
  } as unknown as Parameters<typeof sessionFrom>[2];
}
