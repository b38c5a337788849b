/**
 * lmi as a library: authenticated calls to a platform env, with the same config, token cache
 * and lock as the `lmi` program.
 *
 * @example
 * ```ts
 * import { createClient } from "./mod.ts";
 *
 * const api = await createClient({ env: "dev" });
 * const res = await api.fetch("/users?limit=10");
 * console.log(res.status, await res.json());
 * ```
 *
 * @module
 */
import { realDeps } from "./real_deps.ts";
import { loadConfig } from "./config/load.ts";
import { inRange, MARGIN_RANGE, parseDuration, rangeHint } from "./config/duration.ts";
import { envClient } from "./client.ts";
import { envForUse } from "./config/env.ts";
import { createLogger } from "./ui/log.ts";
import { Redactor } from "./ui/redact.ts";
import { UsageError } from "./errors.ts";
export { type StepUpChallenge, type StepUpErrorCode, StepUpRequiredError } from "./http/step_up.ts";

export {
  AuthError,
  ConfigError,
  ExitCode,
  FailedError,
  LmiError,
  NetworkError,
  UsageError,
} from "./errors.ts";

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** The env to use; default: `LMI_ENV`, then the config's `default_env`, then "default". */
  env?: string;
  /** Config file; default: `LMI_CONFIG`, the nearest lmi.toml, the user config. */
  configPath?: string;
  /** The fetch used for IdP and API calls (default: the global fetch). */
  fetch?: typeof globalThis.fetch;
  /** The clock, in ms since the epoch (default: `Date.now`). */
  now?: () => number;
  /** Warnings and -v/-vv style diagnostics on stderr: 0 (default) warnings only, 1 info, 2 debug. */
  verbosity?: number;
}

/** Options of {@link Client.token} and {@link getToken}. */
export interface TokenOptions {
  /** The token must stay valid at least this long: "5m", "90s", or seconds as a number (as in the config). */
  minTtl?: string | number;
  /** Ignore the cached token and get a new one. */
  force?: boolean;
}

/** What {@link createClient} returns. */
export interface Client {
  /**
   * `fetch` for the env's API: relative URLs resolve against `base_url`; the token and the env's
   * headers are sent to `base_url`'s origin only; a 401 gets one retry with a new token;
   * idempotent requests are retried on 429/502/503/504 and connection resets.
   *
   * An API answering with a step-up challenge (RFC 9470: a stronger or more recent sign-in; RFC
   * 6750: a scope the token lacks) is not retried: the call throws a
   * {@link StepUpRequiredError} carrying what the API asked for, and as its `hint` the command
   * that gets it (`lmi login sso --acr-values phr`).
   *
   * @example
   * ```ts
   * import { createClient, StepUpRequiredError } from "./mod.ts";
   *
   * const api = await createClient({ env: "portal" });
   * try {
   *   const res = await api.fetch("/admin/users");
   *   console.log(res.status);
   * } catch (err) {
   *   if (!(err instanceof StepUpRequiredError)) throw err;
   *   const { error, acrValues, maxAge, scope } = err.challenge;
   *   console.error(`${err.status} ${error}`, acrValues, maxAge, scope);
   *   console.error(`hint: ${err.hint}`);
   * }
   * ```
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** A valid access token for the env. */
  token(options?: TokenOptions): Promise<string>;
  /** The env this client is bound to. */
  env: { name: string; baseUrl: string | undefined; authType: string };
}

function minTtlMs(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || !inRange(ms, MARGIN_RANGE)) {
    throw new UsageError("BAD_DURATION", `invalid minTtl ${JSON.stringify(value)}`, {
      hint: rangeHint(MARGIN_RANGE),
    });
  }
  return ms;
}

/**
 * Create a client for an env, resolved like the `lmi` program does (config lookup, `.env`
 * files, `LMI_*` variables). An env of `type = "sso"` (or with `requires_sso`) uses the session
 * of its SSO provider (`sso = "<name>"`, default `[sso]`); the library never signs anyone in:
 * without a session it throws an {@link AuthError} whose hint is the command to run
 * (`lmi login sso <name>`).
 *
 * @example
 * ```ts
 * import { createClient } from "./mod.ts";
 *
 * const api = await createClient({ env: "prod" });
 * const token = await api.token({ minTtl: "5m" });
 * console.log(api.env.baseUrl, token.length > 0);
 * ```
 */
export async function createClient(options: ClientOptions = {}): Promise<Client> {
  const base = realDeps();
  const deps = {
    ...base,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.now ? { now: options.now } : {}),
  };
  const noColor = (deps.env("NO_COLOR") ?? "") !== "" || !deps.stderr.isTerminal;
  const log = createLogger({
    level: options.verbosity ?? 0,
    color: !noColor,
    stderr: deps.stderr,
    redactor: new Redactor(),
  });
  const config = await loadConfig(deps, options.configPath, (m) => log.warnOnce(m, m));
  const env = envForUse(deps, config, options.env, log.redactor);
  const client = envClient(env, { deps, log });
  return {
    fetch: client.fetch,
    async token(opts = {}) {
      const ms = minTtlMs(opts.minTtl);
      const t = await client.token({
        ...(ms !== undefined ? { minTtlMs: ms } : {}),
        ...(opts.force ? { force: true } : {}),
      });
      return t.accessToken;
    },
    env: { name: env.name, baseUrl: env.baseUrl, authType: env.auth.type },
  };
}

/**
 * A valid access token for an env, from the cache when it is fresh enough.
 *
 * @example
 * ```ts
 * import { getToken } from "./mod.ts";
 *
 * const token = await getToken("dev", { minTtl: "1m" });
 * console.log(token.length > 0);
 * ```
 */
export async function getToken(
  env?: string,
  options: TokenOptions & Omit<ClientOptions, "env"> = {},
): Promise<string> {
  const client = await createClient({ ...options, ...(env !== undefined ? { env } : {}) });
  return await client.token(options);
}
