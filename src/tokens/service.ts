/**
 * Service tokens (client credentials, password, token exchange, JWT bearer): one OS lock per env held across cache read,
 * verification, refresh or acquisition, and cache write, so parallel callers make one token
 * request and refresh-token rotation never races.
 *
 * @module
 */
import type { Deps, DpopKey, TokenSet } from "../context.ts";

export type { TokenSet };
import type { ResolvedEnv } from "../config/resolve.ts";
import { tokenDir } from "../config/paths.ts";
import { formatDuration } from "../config/duration.ts";
import { AuthError, ConfigError, LmiError, q } from "../errors.ts";
import type { Logger } from "../ui/log.ts";
import { ensurePrivateDir } from "./files.ts";
import { TokenCache } from "./cache.ts";
import type { HeldLock } from "./lock.ts";
import { CACHE_VERSION, type CachedToken, fingerprint, jwtExpiry } from "./token_set.ts";
import { isFresh } from "./margin.ts";
import { createVerifier, rulesForNew, type Verdict, type Verifier } from "./verify.ts";
import {
  cachedServiceToken,
  fromCached,
  noteShortMargin,
  registerTokens,
  SERVICE_TYPES,
  type TokenOutcome,
  verifyCachedToken,
} from "./quick.ts";
import type { ClientAuthFactory, Connection, Server } from "../oauth/client.ts";
import type { TokenResponse } from "../oauth/grants.ts";
import { ungrantedScopesWarning, unlistedScopesWarning } from "../oauth/granted_scopes.ts";
import { lazyImport } from "../util/lazy.ts";

export interface ServiceContext {
  deps: Pick<Deps, "fetch" | "now" | "env" | "os" | "cacheKey">;
  log: Logger;
}

export interface ServiceTokenOptions {
  /** The token must stay valid at least this long (`--min-ttl`). */
  minTtlMs?: number;
  /** Ignore the cached token and get a new one (`--force`, `login`). */
  force?: boolean;
  /**
   * A token the API refused (401): if the cache still holds it, it is discarded and a new one
   * acquired; if another process already replaced it, the replacement is used.
   */
  rejectedToken?: string;
  /** Lock wait bound (default 60 s). */
  lockTimeoutMs?: number;
}

export { SERVICE_TYPES, type TokenOutcome };

/** Get a valid token for a service env (client_credentials, password, token_exchange, jwt_bearer). */
export async function getServiceToken(
  env: ResolvedEnv,
  ctx: ServiceContext,
  options: ServiceTokenOptions = {},
): Promise<TokenOutcome> {
  const { deps, log } = ctx;
  const auth = env.auth;
  if (!(SERVICE_TYPES as readonly string[]).includes(auth.type)) {
    throw new ConfigError(
      "AUTH_TYPE_UNSUPPORTED",
      `env ${q(env.name)} has auth type ${q(auth.type)}, not a service grant`,
      {
        hint:
          'service tokens need auth.type "client_credentials", "password", "token_exchange" or "jwt_bearer"',
      },
    );
  }
  const fp = fingerprint(auth);
  const dir = tokenDir(deps);
  const cache = dir ? new TokenCache(dir, env.name) : undefined;
  // Fast path, without the lock: cache files are replaced whole (rename), so a fresh, verified
  // token read here is as good as one read under the lock. Anything else takes the lock.
  if (!options.force && cache) {
    const quick = await cachedServiceToken(env, ctx, cache, fp, options, {
      verifier: () => new Flow(env, ctx, cache).verifier,
      boundKey: (entry) => boundKey(entry, cache),
      rememo: (entry, memo) => rememberMemo(cache, entry, memo),
    });
    if (quick) return quick;
  }
  const store = await openStore(env, ctx, options.lockTimeoutMs);
  try {
    const entry = await store.cache?.readLogged(fp, log);
    registerTokens(log, entry);
    // The client authentication that worked is remembered even when the token is not used.
    const flow = new Flow(env, ctx, store.cache, entry?.client_auth);
    const dpopKey = auth.dpop ? await envDpopKey(env, ctx, store.cache) : undefined;
    if (dpopKey) flow.dpopKey = dpopKey;
    const bound = dpopKey && entry && entry.dpop_jkt !== dpopKey.jkt ? undefined : entry;
    if (entry && !bound) {
      log.info(`the cached token for env ${q(env.name)} is not bound to its DPoP key; not used`);
    }
    const cached = options.force ? undefined : bound;
    if (cached) {
      const rejected = cached.access_token === options.rejectedToken;
      const verdict: Verdict = rejected
        ? { ok: true, verified: false }
        : await flow.verifyCached(cached);
      if (rejected) {
        log.info(`the API refused the cached token for env ${q(env.name)}; getting a new one`);
      } else if (!verdict.ok) {
        log.info(`discarding the cached token for env ${q(env.name)}: ${verdict.reason}`);
      } else if (isFresh(cached, deps.now(), auth.refreshMarginMs, options.minTtlMs)) {
        log.info(`another lmi process got the token for env ${q(env.name)}; using it`);
        noteShortMargin(log, env, cached);
        return { token: fromCached(cached, dpopKey), from: "cache", cached: true };
      }
      if (verdict.ok && cached.refresh_token) {
        try {
          log.info(`refreshing the token for env ${q(env.name)}`);
          const response = await flow.refresh(cached.refresh_token);
          return warnShortLived(
            await flow.finish(response, "refresh", fp, cached.refresh_token),
            options.minTtlMs,
            ctx,
          );
        } catch (err) {
          if (!(err instanceof LmiError)) throw err;
          log.info(`refresh failed (${err.message}); requesting a new token`);
        }
      }
    }
    const response = await flow.grant();
    return warnShortLived(await flow.finish(response, "grant", fp), options.minTtlMs, ctx);
  } finally {
    store.lock?.release();
  }
}

/** Say so when a new token cannot live as long as --min-ttl asks (the IdP's lifetime is shorter). */
function warnShortLived(
  outcome: TokenOutcome,
  minTtlMs: number | undefined,
  ctx: ServiceContext,
): TokenOutcome {
  const { expiresAt } = outcome.token;
  if (minTtlMs && expiresAt !== undefined && expiresAt - ctx.deps.now() < minTtlMs) {
    ctx.log.warn(
      `the new token is valid for ${
        formatDuration(expiresAt - ctx.deps.now())
      }, less than --min-ttl ${formatDuration(minTtlMs)} (the IdP's token lifetime is shorter)`,
    );
  }
  return outcome;
}

interface Store {
  cache?: TokenCache;
  lock?: HeldLock;
}

/** Open the env's cache folder and take its lock; without a usable folder, go on uncached. */
async function openStore(
  env: ResolvedEnv,
  ctx: ServiceContext,
  lockTimeoutMs?: number,
): Promise<Store> {
  const { log } = ctx;
  const dir = tokenDir(ctx.deps);
  if (!dir) {
    log.warnOnce(
      "no-cache",
      "no cache folder (set LMI_CACHE_DIR or HOME); the token will not be cached",
    );
    return {};
  }
  const cache = new TokenCache(dir, env.name);
  try {
    await ensurePrivateDir(dir);
  } catch (err) {
    log.warnOnce(
      "cache-dir",
      `cannot use the token cache folder ${dir}: ${message(err)}; the token will not be cached`,
    );
    return {};
  }
  let lock: HeldLock;
  try {
    lock = await cache.lock({
      what: `getting a token for env ${q(env.name)}`,
      ...(lockTimeoutMs !== undefined ? { timeoutMs: lockTimeoutMs } : {}),
      onWait: () =>
        log.say(
          `lmi: waiting for another lmi process to finish getting a token for env ${q(env.name)}…`,
        ),
    });
  } catch (err) {
    if (err instanceof LmiError) throw err;
    log.warnOnce(
      "cache-lock",
      `cannot lock ${cache.files.lock}: ${message(err)}; the token will not be cached`,
    );
    return {};
  }
  return { cache, lock };
}

/**
 * Give a cached token the signature memo jose's check just gave it (its own was missing, or made
 * under another key: a restored cache folder), so the next read, the warm path's too, skips the
 * check. Under the lock, waiting briefly, and only while the entry still holds that token; best
 * effort: otherwise the next run checks the signature again.
 */
async function rememberMemo(cache: TokenCache, entry: CachedToken, memo: string): Promise<void> {
  let lock: HeldLock;
  try {
    lock = await cache.lock({ what: "storing a signature memo", timeoutMs: 500 });
  } catch {
    return;
  }
  try {
    const found = await cache.read(entry.fingerprint);
    if (found.state === "hit" && found.entry.access_token === entry.access_token) {
      await cache.write({ ...found.entry, signature_memo: memo });
    }
  } catch {
    // Not stored: the next run checks the signature again.
  } finally {
    lock.release();
  }
}

/** The env's stored DPoP key when `entry` is bound to it (no lock, no warnings). */
async function boundKey(entry: CachedToken, cache: TokenCache): Promise<DpopKey | undefined> {
  if (!entry.dpop_jkt) return undefined;
  const { readDpopKey } = await lazyImport<typeof import("./dpop_key.ts")>(
    "./dpop_key.ts",
    import.meta.url,
  );
  const key = await readDpopKey(cache.files.dpop);
  return key?.jkt === entry.dpop_jkt ? key : undefined;
}

/** The env's DPoP key: the stored one or a new one (with the lock held); in memory uncached. */
async function envDpopKey(
  env: ResolvedEnv,
  ctx: ServiceContext,
  cache: TokenCache | undefined,
): Promise<DpopKey> {
  const m = await lazyImport<typeof import("./dpop_key.ts")>("./dpop_key.ts", import.meta.url);
  if (cache) return (await m.loadOrCreateDpopKey(cache.files.dpop, ctx.log)).key;
  ctx.log.warnOnce(
    "dpop-no-cache",
    `no cache folder: the DPoP key of env ${q(env.name)} lives only as long as this process`,
  );
  return (await m.generateDpopKey()).key;
}

function toCached(
  t: TokenSet & { expiresAt: number },
  fp: string,
  verdict: Verdict & { ok: true },
  clientAuth: string | undefined,
): CachedToken {
  const c: CachedToken = {
    version: CACHE_VERSION,
    fingerprint: fp,
    access_token: t.accessToken,
    token_type: t.tokenType,
    expires_at: new Date(t.expiresAt).toISOString(),
    obtained_at: new Date(t.obtainedAt).toISOString(),
    verified: verdict.verified,
  };
  if (verdict.verified && verdict.memo !== undefined) c.signature_memo = verdict.memo;
  if (t.scope !== undefined) c.scope = t.scope;
  if (t.refreshToken !== undefined) c.refresh_token = t.refreshToken;
  if (clientAuth !== undefined) c.client_auth = clientAuth;
  if (t.dpopKey) c.dpop_jkt = t.dpopKey.jkt;
  return c;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The network side of one token call; protocol code is imported only when first needed. */
class Flow {
  readonly verifier: Verifier;
  #server?: Promise<Server>;
  #clientAuth?: Promise<ClientAuthFactory>;
  #subjectToken?: Promise<string>;
  #announced = false;
  /** DPoP: the key token requests prove possession of (`dpop = true`). */
  dpopKey?: DpopKey;

  constructor(
    readonly env: ResolvedEnv,
    readonly ctx: ServiceContext,
    readonly cache: TokenCache | undefined,
    /** The client authentication method that worked last time (automatic choice only). */
    private remembered?: string,
  ) {
    this.verifier = createVerifier({
      path: cache?.files.jwks,
      configIssuer: env.auth.issuer,
      cacheKey: ctx.deps.cacheKey,
      fetchJwks: async (keys) =>
        (await lazyImport<typeof import("./jwks_fetch.ts")>("./jwks_fetch.ts", import.meta.url))
          .fetchJwks(
            keys,
            (input, init) => this.#transportFetch(input, init),
          ),
      now: ctx.deps.now,
      log: ctx.log,
      issuerKeys: async () => {
        const server = await this.server();
        const { issuer, jwks_uri } = server.info;
        return jwks_uri ? { issuer, jwks_uri } : undefined;
      },
    });
  }

  async #transportFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    return (await this.server()).transport.fetch(input, init);
  }

  /** The deps with the env's trust (OS store, ca_file) and client certificate on `fetch`. */
  async #envDeps(): Promise<ServiceContext["deps"]> {
    const tls = await lazyImport<typeof import("../http/tls.ts")>(
      "../http/tls.ts",
      import.meta.url,
    );
    const { caFile, auth } = this.env;
    return { ...this.ctx.deps, fetch: tls.envFetch(this.ctx.deps, caFile, auth.clientCert) };
  }

  server(): Promise<Server> {
    // Loaded only when the network is needed: the warm path never pays for these modules.
    return this.#server ??= Promise.all([
      import("../oauth/client.ts"),
      this.#envDeps(),
    ]).then(([m, deps]) => {
      return m.resolveServer(this.env.auth, this.env.name, {
        deps,
        log: this.ctx.log,
        timeoutMs: this.env.timeoutMs,
      });
    });
  }

  #factory(): Promise<ClientAuthFactory> {
    return this.#clientAuth ??= import("../oauth/client.ts").then((m) =>
      m.prepareClientAuth(this.env.auth, this.env.name, () => this.subjectToken())
    );
  }

  /** The workload's subject token, read once per acquisition (a file is read anew each time). */
  subjectToken(): Promise<string> {
    return this.#subjectToken ??= (async () => {
      const m = await lazyImport<typeof import("./subject_token.ts")>(
        "./subject_token.ts",
        import.meta.url,
      );
      const source = m.requireSubjectSource(this.env.auth, this.env.name);
      this.ctx.log.info(`subject token for env ${q(this.env.name)}: ${m.describeSource(source)}`);
      return await m.readSubjectToken(source, {
        deps: await this.#envDeps(),
        log: this.ctx.log,
        timeoutMs: this.env.timeoutMs,
      });
    })();
  }

  /**
   * One token request, authenticating the client as planned: a configured method as it is; an
   * automatic one with a single retry using the other secret method when the IdP rejects it.
   */
  async #request(call: (conn: Connection) => Promise<TokenResponse>): Promise<TokenResponse> {
    const { auth, name, timeoutMs } = this.env;
    const { log } = this.ctx;
    const m = await lazyImport<typeof import("../oauth/client.ts")>(
      "../oauth/client.ts",
      import.meta.url,
    );
    const { withDpop } = await lazyImport<typeof import("../oauth/grants.ts")>(
      "../oauth/grants.ts",
      import.meta.url,
    );
    const { withClientAuthFallback } = await lazyImport<typeof import("../oauth/client_auth.ts")>(
      "../oauth/client_auth.ts",
      import.meta.url,
    );
    const factory = await this.#factory();
    const server = await this.server();
    const plan = m.clientAuthPlan(auth, server, this.remembered);
    if (!this.#announced) {
      log.info(`client authentication for env ${q(name)}: ${plan.method} (${plan.reason})`);
      this.#announced = true;
    }
    const { result, method } = await withClientAuthFallback(
      plan,
      (method) => {
        const conn = m.connect(auth, server, factory, timeoutMs, method);
        return call(this.dpopKey ? withDpop(conn, this.dpopKey) : conn);
      },
      (from, to, status) => log.info(`the IdP refused ${from} (HTTP ${status}); trying ${to} once`),
    );
    if (plan.fallback) {
      if (method !== plan.method) log.info(`${method} worked; lmi will use it for env ${q(name)}`);
      this.remembered = method;
    }
    return result;
  }

  /** Verify a cached token: strictly when it verified when obtained, else per the env's mode. */
  verifyCached(cached: CachedToken): Promise<Verdict> {
    return verifyCachedToken(this.verifier, this.env.auth, cached);
  }

  async grant(): Promise<TokenResponse> {
    const { auth, name } = this.env;
    const grants = await lazyImport<typeof import("../oauth/grants.ts")>(
      "../oauth/grants.ts",
      import.meta.url,
    );
    const m = await lazyImport<typeof import("../oauth/client.ts")>(
      "../oauth/client.ts",
      import.meta.url,
    );
    // Secrets are checked before any network call, so a missing variable is reported as such.
    await this.#factory();
    if (auth.type === "password") {
      m.requireSecret(auth.username, "username", name);
      m.requireSecret(auth.password, "password", name);
    }
    const subject = auth.type === "token_exchange" || auth.type === "jwt_bearer"
      ? await this.subjectToken()
      : undefined;
    const server = await this.server();
    this.ctx.log.info(
      `requesting a token for env ${q(name)} (${auth.type}) from ${server.info.token_endpoint}`,
    );
    return await this.#request((conn) => {
      switch (auth.type) {
        case "password":
          return grants.password(conn, auth, name);
        case "token_exchange":
          return grants.tokenExchange(conn, auth, subject!);
        case "jwt_bearer":
          return grants.jwtBearer(conn, auth, subject!);
        default:
          return grants.clientCredentials(conn, auth);
      }
    });
  }

  async refresh(refreshToken: string): Promise<TokenResponse> {
    const grants = await lazyImport<typeof import("../oauth/grants.ts")>(
      "../oauth/grants.ts",
      import.meta.url,
    );
    return await this.#request((conn) => grants.refresh(conn, this.env.auth, refreshToken));
  }

  /** Check a new token, work out its expiry, cache it. */
  async finish(
    response: TokenResponse,
    from: "refresh" | "grant",
    fp: string,
    previousRefreshToken?: string,
  ): Promise<TokenOutcome> {
    const { deps, log } = this.ctx;
    log.redactor.add(response.access_token);
    log.redactor.add(response.refresh_token);
    if (!response.access_token || response.access_token === "undefined") {
      throw new AuthError("IDP_BAD_RESPONSE", "the IdP's token response has no access_token", {
        hint: "check the token endpoint URL",
      });
    }
    const rules = rulesForNew(this.env.auth);
    const verdict: Verdict = rules
      ? await this.verifier.verify(response.access_token, rules)
      : { ok: true, verified: false, note: "verify_access_token = never" };
    if (!verdict.ok) {
      throw new AuthError(
        "TOKEN_VERIFICATION_FAILED",
        `the new access token failed verification: ${verdict.reason}`,
        {
          hint: /clock|not valid yet|expired/.test(verdict.reason)
            ? "check this machine's clock (timedatectl / ntp)"
            : /\baud\b/.test(verdict.reason)
            ? "check expected_audience in the env's config against the aud the IdP issues"
            : 'check the issuer in the env\'s config; verify_access_token = "auto" accepts tokens this client cannot verify',
        },
      );
    }
    if (!verdict.verified && verdict.note !== "not a JWT") {
      log.info(`using the access token as opaque (not verified): ${verdict.note}`);
    }
    const now = deps.now();
    // A verified JWT's exp bounds the lifetime; an unverified one's exp is used only when the
    // IdP gave no expires_in.
    const fromResponse = response.expires_in !== undefined
      ? now + response.expires_in * 1000
      : undefined;
    const candidates = [
      fromResponse,
      verdict.verified
        ? verdict.exp
        : fromResponse === undefined
        ? jwtExpiry(response.access_token)
        : undefined,
    ].filter((v): v is number => v !== undefined);
    const token: TokenSet = {
      accessToken: response.access_token,
      tokenType: response.token_type,
      obtainedAt: now,
    };
    if (candidates.length > 0) {
      token.expiresAt = Math.min(...candidates);
      noteShortMargin(log, this.env, {
        expires_at: new Date(token.expiresAt).toISOString(),
        obtained_at: new Date(now).toISOString(),
      });
    }
    if (response.scope !== undefined) token.scope = response.scope;
    // Said when the token is obtained, never again when it is read from the cache.
    const ungranted = ungrantedScopesWarning(
      this.env.auth.scopes,
      response,
      `env ${q(this.env.name)}`,
    );
    if (ungranted) log.warn(ungranted);
    const unlisted = unlistedScopesWarning(
      this.env.auth.scopes,
      response,
      this.#server ? (await this.#server).info.scopes_supported : undefined,
      `env ${q(this.env.name)}`,
    );
    if (unlisted) log.warn(unlisted);
    const refreshToken = response.refresh_token ?? previousRefreshToken;
    if (refreshToken !== undefined) token.refreshToken = refreshToken;
    if (this.dpopKey) {
      if (response.token_type.toLowerCase() === "dpop") {
        token.dpopKey = this.dpopKey;
      } else {
        log.warn(
          `dpop = true but the IdP issued a ${response.token_type} token for env ${
            q(this.env.name)
          }; using it unbound (check that the IdP supports DPoP)`,
        );
      }
    }
    let cached = false;
    if (this.cache && token.expiresAt !== undefined) {
      try {
        await this.cache.write(
          toCached(
            { ...token, expiresAt: token.expiresAt },
            fp,
            verdict,
            this.env.auth.clientAuth === "auto" ? this.remembered : undefined,
          ),
        );
        cached = true;
      } catch (err) {
        log.warn(`could not write the token cache ${this.cache.files.token}: ${message(err)}`);
      }
    } else if (token.expiresAt === undefined) {
      log.info("the IdP gave no expiry for this token; it is not cached");
    }
    return { token, from, cached };
  }
}
