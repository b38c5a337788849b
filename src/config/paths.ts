/**
 * Where lmi's files live: the user config file, the cache folder and the user data folder.
 *
 * @module
 */
import { join } from "../util/path.ts";
import type { Deps } from "../context.ts";

type PathDeps = Pick<Deps, "env" | "os">;

function home(deps: PathDeps): string | undefined {
  return deps.env("HOME") ?? deps.env("USERPROFILE");
}

/** The user config file: `$XDG_CONFIG_HOME/lmi/config.toml`, `%APPDATA%\lmi\config.toml`. */
export function userConfigPath(deps: PathDeps): string | undefined {
  if (deps.os === "windows") {
    const appData = deps.env("APPDATA");
    return appData ? join(appData, "lmi", "config.toml") : undefined;
  }
  const xdg = deps.env("XDG_CONFIG_HOME");
  if (xdg) return join(xdg, "lmi", "config.toml");
  const h = home(deps);
  return h ? join(h, ".config", "lmi", "config.toml") : undefined;
}

/** `<cache>`: `LMI_CACHE_DIR`, else the platform cache folder. */
export function cacheRoot(deps: PathDeps): string | undefined {
  const explicit = deps.env("LMI_CACHE_DIR");
  if (explicit) return explicit;
  if (deps.os === "windows") return deps.env("LOCALAPPDATA");
  const h = home(deps);
  if (deps.os === "darwin") return h ? join(h, "Library", "Caches") : undefined;
  const xdg = deps.env("XDG_CACHE_HOME");
  if (xdg) return xdg;
  return h ? join(h, ".cache") : undefined;
}

/** `<cache>/lmi/tokens`: service tokens, their locks and the issuers' JWKS. */
export function tokenDir(deps: PathDeps): string | undefined {
  const root = cacheRoot(deps);
  return root ? join(root, "lmi", "tokens") : undefined;
}

/**
 * lmi's user data folder: `$XDG_DATA_HOME/lmi` (`~/.local/share/lmi`),
 * `~/Library/Application Support/lmi`, `%APPDATA%\lmi`. It holds what must not live in a cache
 * folder (which CI systems restore from elsewhere): the SSO file store, the trust records and the
 * key of lmi's caches (src/util/cache_key.ts).
 */
export function dataDir(deps: PathDeps): string | undefined {
  if (deps.os === "windows") {
    const appData = deps.env("APPDATA");
    return appData ? join(appData, "lmi") : undefined;
  }
  const h = deps.env("HOME");
  if (deps.os === "darwin") {
    return h ? join(h, "Library", "Application Support", "lmi") : undefined;
  }
  const xdg = deps.env("XDG_DATA_HOME");
  if (xdg) return join(xdg, "lmi");
  return h ? join(h, ".local", "share", "lmi") : undefined;
}

/** `<data>/lmi/trust.json`: the config files the user trusted (src/config/trust.ts). */
export function trustFilePath(deps: PathDeps): string | undefined {
  const dir = dataDir(deps);
  return dir ? join(dir, "trust.json") : undefined;
}
