/**
 * Finding and reading the config file: `--config`, else `LMI_CONFIG`, else the nearest
 * `lmi.toml` from the current directory up, else the user file. No file is fine. A discovered
 * `lmi.toml` is used only when the user trusted it (src/config/trust.ts); that is checked on the
 * bytes read, before anything is parsed or taken from the parsed-config cache.
 *
 * @module
 */
import { dirname, isAbsolute, join, normalize, resolve } from "../util/path.ts";
import type { Deps } from "../context.ts";
import { loadToml } from "../deps.ts";
import { ConfigError, q } from "../errors.ts";
import { type FileConfig, validateConfig } from "./schema.ts";
import { userConfigPath } from "./paths.ts";
import { parsedCachePath, readParsed, writeParsed } from "./parsed_cache.ts";
import { readSmallFile } from "./small_file.ts";
import {
  canonicalPath,
  configDigest,
  dotenvFolders,
  judgeDiscovered,
  type TrustBasis,
  UntrustedConfigError,
} from "./trust.ts";
import { visible } from "../ui/text.ts";

export type ConfigOrigin = "flag" | "LMI_CONFIG" | "nearest lmi.toml" | "user config";

export interface LoadedConfig {
  /** Absolute path of the file read, if any (canonical for a discovered file). */
  path?: string;
  origin?: ConfigOrigin;
  /** Why lmi may use the file. */
  trust?: TrustBasis;
  /** The folders whose `.env` files may be read, strongest first. */
  dotenvDirs: string[];
  /** The current folder, when its `.env` files are not read (it is not trusted ground). */
  unreadDotenvDir?: string;
  /**
   * The folders among `dotenvDirs` whose `.env` files may hold settings (`LMI_TOKEN_URL`…), not
   * only the values of variables: those the user trusts as a whole (src/config/trust.ts).
   */
  settingDotenvDirs?: string[];
  file: FileConfig;
  /** The file's text as read (for the line of a key a message names: src/config/setting.ts). */
  text?: string;
  /** When no file was found: where lmi looked, for the message that says so. */
  searched?: ConfigSearch;
}

/** Where lmi looked for a config when it found none (`LMI_CONFIG` and `--config` were not set). */
export interface ConfigSearch {
  /** The folder whose `lmi.toml`, or its parents', lmi looked for. */
  cwd: string;
  /** The user config file's path; undefined when there is none on this system (no HOME). */
  userConfig: string | undefined;
}

/** Locate the config file without reading it. */
export function findConfig(
  deps: Pick<Deps, "env" | "cwd" | "os">,
  flagPath: string | undefined,
): { path: string; origin: ConfigOrigin; required: boolean } | undefined {
  if (flagPath) return { path: resolve(deps.cwd, flagPath), origin: "flag", required: true };
  const envPath = deps.env("LMI_CONFIG");
  if (envPath) {
    // Set once for a shell or a job, a relative path would name a file in every folder lmi runs
    // in (a stranger's repository included) without the trust a discovered file needs.
    if (!isAbsolute(envPath)) {
      throw new ConfigError(
        "CONFIG_INVALID",
        `LMI_CONFIG: ${q(visible(envPath))} is not absolute`,
        {
          hint: "set LMI_CONFIG to the config's absolute path (or pass --config PATH)",
        },
      );
    }
    return { path: normalize(envPath), origin: "LMI_CONFIG", required: true };
  }
  const nearest = findNearest(deps.cwd);
  if (nearest) return { path: nearest, origin: "nearest lmi.toml", required: true };
  const user = userConfigPath(deps);
  if (user && isFile(user)) return { path: user, origin: "user config", required: false };
  return undefined;
}

/** The nearest `lmi.toml` in `cwd` or the folders above it: the file lmi discovers there. */
export function findNearest(cwd: string): string | undefined {
  let dir = normalize(cwd);
  while (true) {
    const candidate = join(dir, "lmi.toml");
    if (isFile(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

// Sync file system calls on the start-up path: the first async one costs a thread-pool start.
function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Find, read, parse and validate the config. `warn` hears what stopped the parsed-config cache
 * from being kept (a refused key file, an unusable data folder: src/util/cache_key.ts).
 */
export async function loadConfig(
  deps: Pick<Deps, "env" | "cwd" | "os" | "cacheKey">,
  flagPath: string | undefined,
  warn?: (message: string) => void,
): Promise<LoadedConfig> {
  const found = findConfig(deps, flagPath);
  if (!found) {
    const searched = { cwd: deps.cwd, userConfig: userConfigPath(deps) };
    return { ...dotenvFor(deps, undefined, undefined), file: { envs: {} }, searched };
  }
  const how = found.origin === "flag" ? "--config" : found.origin;
  let file;
  try {
    file = readSmallFile(found.path);
  } catch (err) {
    if (found.origin === "nearest lmi.toml") throw unjudged(found.path, errText(err));
    if (err instanceof Deno.errors.NotFound) {
      throw new ConfigError("CONFIG_NOT_FOUND", `config file not found: ${found.path}`, {
        hint: `check the path given by ${how}`,
        cause: err,
      });
    }
    throw new ConfigError(
      "CONFIG_UNREADABLE",
      `cannot read config file ${found.path}: ${errText(err)}`,
      {
        hint: `check the file's permissions (path from ${how})`,
        cause: err,
      },
    );
  }
  if ("refused" in file) {
    if (found.origin === "nearest lmi.toml") throw unjudged(found.path, file.refused);
    throw new ConfigError(
      "CONFIG_UNREADABLE",
      `cannot read config file ${found.path}: ${file.refused}`,
      { hint: `give a TOML file (path from ${how})` },
    );
  }
  const discovered = found.origin === "nearest lmi.toml";
  const path = discovered ? canonicalPath(found.path) : found.path;
  // The parsed-config cache is read when trust asks for the file's digest (a trust record
  // exists: a hit carries the digest of the bytes it was parsed from, so the warm path does not
  // hash the file, src/config/parsed_cache.ts), else once trust is settled: never for a file
  // lmi may not use.
  const cachePath = parsedCachePath(deps);
  let cached: ReturnType<typeof readParsed> | null = null;
  const fromCache = () => {
    if (cached === null) {
      cached = cachePath ? readParsed(cachePath, path, file.text, deps.cacheKey.read()) : undefined;
    }
    return cached;
  };
  let digest: string | undefined;
  const bytes = file.bytes;
  const digestNow = () => digest ??= fromCache()?.sha256 ?? configDigest(bytes);
  const trust: TrustBasis = found.origin === "nearest lmi.toml"
    ? judgeDiscovered(deps, path, digestNow)
    : { kind: "named", by: found.origin === "flag" ? "--config" : found.origin };
  let config = fromCache()?.config;
  if (!config) {
    config = await parseConfigText(file.text, path);
    const key = cachePath ? await deps.cacheKey.readOrCreate(warn) : undefined;
    if (key) await writeParsed(cachePath!, path, file.text, digestNow(), config, key);
  }
  return {
    path,
    origin: found.origin,
    trust,
    ...dotenvFor(deps, path, trust),
    file: config,
    text: file.text,
  };
}

/**
 * A discovered file lmi cannot read cannot be judged either: it counts as untrusted (so the
 * credential helpers stay silent in such a folder, as for any untrusted file).
 */
function unjudged(path: string, why: string): ConfigError {
  return new UntrustedConfigError(canonicalPath(path), false, {
    why: `lmi cannot read it: ${why}`,
    hint: "an lmi.toml is a small regular file you can read; or name your config with --config " +
      "or LMI_CONFIG",
  });
}

function dotenvFor(
  deps: Pick<Deps, "env" | "cwd" | "os">,
  path: string | undefined,
  trust: TrustBasis | undefined,
): Pick<LoadedConfig, "dotenvDirs" | "unreadDotenvDir" | "settingDotenvDirs"> {
  const { read, unread, settings } = dotenvFolders(deps, path, trust);
  return {
    dotenvDirs: read,
    settingDotenvDirs: settings,
    ...(unread === undefined ? {} : { unreadDotenvDir: unread }),
  };
}

/** Parse and validate config source text. */
export async function parseConfigText(text: string, path: string): Promise<FileConfig> {
  const { parse, TomlError } = await loadToml();
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split("\n")[0]!.replace(/^Invalid TOML document:\s*/, "");
      throw new ConfigError(
        "CONFIG_SYNTAX",
        `${path}:${err.line}:${err.column}: invalid TOML: ${first}`,
        {
          hint: "fix the syntax at that line (TOML reference: https://toml.io)",
          cause: err,
        },
      );
    }
    throw err;
  }
  return validateConfig(doc, path, text);
}

export function errText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
