/**
 * The env a credential helper (`lmi git-credential`, `lmi docker-credential`) answers for: the
 * one given with `--env`, else the env whose `base_url` covers the requested URL (same scheme and
 * host, longest path prefix wins). `LMI_ENV` and `default_env` never choose it: a helper must not
 * hand a token to a host the env is not for. A path that parsers and servers may read differently
 * (dot or empty segments, encoded slashes: `unmatchablePath`) gets no env, `--env` or not.
 *
 * git and Docker run the helpers in whatever folder the user is in. A discovered `lmi.toml` the
 * user has not trusted (src/config/trust.ts) gives no env: the helper answers nothing, as for a
 * host no env covers, and says why only at -v (its caller would show the error to someone who
 * only ran `git fetch`).
 *
 * @module
 */
import type { LoadedConfig } from "../config/load.ts";
import { listEnvNames, type ResolvedEnv, resolveNamedEnv } from "../config/resolve.ts";
import { UntrustedConfigError } from "../config/trust.ts";
import { q } from "../errors.ts";
import { baseUrlCoverage, unmatchablePath } from "../http/url.ts";
import { configFor, envFor } from "./common.ts";
import type { CommandContext } from "./spec.ts";

/** The username the helpers answer when the env sets no `git_username`. */
export const DEFAULT_GIT_USERNAME = "oauth2";

/** The username a helper answers for `env` (line breaks removed: they would end git's line). */
export function helperUsername(env: ResolvedEnv): string {
  return (env.auth.gitUsername ?? DEFAULT_GIT_USERNAME).replace(/[\r\n\0]/g, "");
}

/**
 * Every env with a base_url, in config order (envs that cannot be resolved are left out);
 * undefined when the config found is one the user has not trusted (said at -v).
 */
export async function envsWithBaseUrl(
  ctx: Pick<CommandContext, "deps" | "globals" | "log">,
): Promise<ResolvedEnv[] | undefined> {
  const config = await unlessUntrusted(ctx, () => configFor(ctx));
  if (!config) return undefined;
  const envs: ResolvedEnv[] = [];
  for (const name of listEnvNames(ctx.deps, config)) {
    try {
      const env = resolveNamedEnv(ctx.deps, config, name);
      if (env.baseUrl !== undefined) envs.push(env);
    } catch (err) {
      ctx.log.info(`env ${q(name)} left out: ${err instanceof Error ? err.message : err}`);
    }
  }
  return envs;
}

/** What a helper was asked about. */
export interface HelperTarget {
  /** The URL as a WHATWG parser reads it (its dot segments resolved): what base_urls cover. */
  url: URL;
  /** The path as it was asked for (`/org/x.git`), before any parser read it. */
  path: string;
  /** Whether the request named a path (git sends one only with `credential.useHttpPath`). */
  hasPath: boolean;
}

/**
 * The env that answers for `target`, or undefined (said at -v). Without a path, an env whose
 * base_url is the host's root answers, else the only env on that host.
 */
export async function envForTarget(
  ctx: Pick<CommandContext, "deps" | "globals" | "log">,
  { url: target, path, hasPath }: HelperTarget,
): Promise<ResolvedEnv | undefined> {
  const unmatchable = unmatchablePath(path);
  if (unmatchable !== undefined) {
    ctx.log.info(`the path ${q(path)} matches no env: it has ${unmatchable}`);
    return undefined;
  }
  if (ctx.globals.env !== undefined) {
    return (await unlessUntrusted(ctx, () => envFor(ctx)))?.env;
  }
  if (target.protocol !== "https:" && target.protocol !== "http:") return undefined;
  const where = `${target.protocol}//${target.host}${hasPath ? target.pathname : ""}`;
  let best: { env: ResolvedEnv; score: number } | undefined;
  const sameHost: ResolvedEnv[] = [];
  const envs = await envsWithBaseUrl(ctx);
  if (!envs) return undefined;
  for (const env of envs) {
    const score = baseUrlCoverage(env.baseUrl!, target);
    if (score !== undefined && (best === undefined || score > best.score)) best = { env, score };
    if (URL.parse(env.baseUrl!)?.origin === target.origin) sameHost.push(env);
  }
  if (!best && !hasPath && sameHost.length === 1) best = { env: sameHost[0]!, score: 0 };
  if (!best) {
    ctx.log.info(
      sameHost.length > 1 && !hasPath
        ? `no env's base_url covers ${where}: ${sameHost.length} envs on that host, and no path ` +
          "was given (git: set credential.useHttpPath true)"
        : `no env's base_url covers ${where}`,
    );
    return undefined;
  }
  ctx.log.info(`env ${q(best.env.name)} (base_url ${best.env.baseUrl}) answers for ${where}`);
  return best.env;
}

/** `load()`, or undefined (said at -v) when the config found is one the user has not trusted. */
async function unlessUntrusted<T extends LoadedConfig | { config: LoadedConfig }>(
  ctx: Pick<CommandContext, "log">,
  load: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await load();
  } catch (err) {
    if (!(err instanceof UntrustedConfigError)) throw err;
    ctx.log.info(`answering nothing: ${err.message} (${err.hint})`);
    return undefined;
  }
}
