/**
 * The service-token cache, in the shape of kubelogin's token repository: one file per env name,
 * `<cache>/lmi/tokens/<env>.json` (deleting it clears the env), holding up to
 * {@link MAX_ENTRIES} entries keyed by the config fingerprint, so two projects that both name an
 * env `dev` keep their own tokens. The least recently written entry is dropped first. Reading,
 * writing, listing, removing and locking all live here; every command and `logout` use it.
 *
 * @module
 */
import { FailedError } from "../errors.ts";
import type { Logger } from "../ui/log.ts";
import {
  type EnvFiles,
  envFiles,
  readPrivateFile,
  readPrivateFileSync,
  removeIfExists,
  removeStaleTemps,
  unsafeFileWarning,
  UnsafePathError,
  writeFileAtomic,
} from "./files.ts";
import { acquireLock, type HeldLock, type LockOptions } from "./lock.ts";
import { type CachedToken, cachedTokenFrom, isInvalid, parseJsonObject } from "./token_set.ts";

/** At most this many configurations share one env name's file. */
export const MAX_ENTRIES = 8;

/** The file's format version (each entry keeps its own `version`). */
export const CACHE_FILE_VERSION = 2;

/** The file format: entries, most recently written first. */
export interface CacheFile {
  version: typeof CACHE_FILE_VERSION;
  entries: CachedToken[];
}

/** What reading the cache found. */
export type CacheRead =
  | { state: "hit"; entry: CachedToken }
  | { state: "none" }
  /** Entries, but none for this configuration. */
  | { state: "other-config" }
  /** Unreadable or not lmi's format: never used, replaced on write. */
  | { state: "corrupt"; reason: string }
  /** A link, another user's file, or readable by others: never used, replaced on write. */
  | { state: "unsafe"; why: string };

/** One env's cache: its file, its lock and its issuer keys' file. */
export class TokenCache {
  readonly files: EnvFiles;

  constructor(dir: string, env: string) {
    this.files = envFiles(dir, env);
  }

  /** The entry for `fp` if the file is private, well-formed and has one; no lock, no warnings. */
  peek(fp: string): CachedToken | undefined {
    const read = readPrivateFileSync(this.files.token);
    if (read.state !== "ok") return undefined;
    const file = parseCacheFile(read.text);
    return "invalid" in file ? undefined : file.entries.find((e) => e.fingerprint === fp);
  }

  /** The entry for `fp`, with what was found instead when there is none. */
  async read(fp: string): Promise<CacheRead> {
    const read = await readPrivateFile(this.files.token);
    if (read.state === "missing") return { state: "none" };
    if (read.state === "unsafe") return { state: "unsafe", why: read.why };
    if (read.state === "error") return { state: "corrupt", reason: read.reason };
    const file = parseCacheFile(read.text);
    if ("invalid" in file) return { state: "corrupt", reason: file.invalid };
    const entry = file.entries.find((e) => e.fingerprint === fp);
    return entry ? { state: "hit", entry } : { state: "other-config" };
  }

  /** The entry for `fp`, saying at the right level why there is none. */
  async readLogged(fp: string, log: Logger): Promise<CachedToken | undefined> {
    const found = await this.read(fp);
    switch (found.state) {
      case "hit":
        return found.entry;
      case "none":
        return undefined;
      case "other-config":
        log.info("no cached token for this configuration; getting a new one");
        return undefined;
      case "unsafe":
        log.warn(unsafeFileWarning(this.files.token, found.why));
        return undefined;
      case "corrupt":
        log.warn(
          `ignoring a corrupt token cache file ${this.files.token} (${found.reason}); getting a new token`,
        );
        return undefined;
    }
  }

  /**
   * Save `entry` as the most recent, keeping the other configurations' entries (at most
   * {@link MAX_ENTRIES} in all). Call it with the lock held. A file that is corrupt or readable
   * by others is replaced whole.
   */
  async write(entry: CachedToken): Promise<void> {
    const read = await readPrivateFile(this.files.token);
    const parsed = read.state === "ok" ? parseCacheFile(read.text) : undefined;
    const others = parsed && !("invalid" in parsed)
      ? parsed.entries.filter((e) => e.fingerprint !== entry.fingerprint)
      : [];
    const file: CacheFile = {
      version: CACHE_FILE_VERSION,
      entries: [entry, ...others].slice(0, MAX_ENTRIES),
    };
    await writeFileAtomic(this.files.token, JSON.stringify(file, null, 2) + "\n");
    await removeStaleTemps(this.files.token);
  }

  /** Take the env's lock (a separate file; the OS releases it if this process dies). */
  lock(options: LockOptions): Promise<HeldLock> {
    return acquireLock(this.files.lock, options);
  }

  /**
   * Remove everything lmi wrote for the env: every configuration's entry, the issuer keys, the
   * DPoP key, and
   * temporary files a killed process left. The lock file stays (it may be held). True when a
   * token file was there.
   */
  async remove(): Promise<boolean> {
    const removed = await removeIfExists(this.files.token);
    await removeIfExists(this.files.jwks);
    await removeIfExists(this.files.dpop);
    await removeStaleTemps(this.files.token);
    await removeStaleTemps(this.files.jwks);
    await removeStaleTemps(this.files.dpop);
    return removed;
  }
}

/** Remove an env's cache under its lock (see {@link TokenCache.remove}); true when a token was there. */
export async function removeEnvCache(dir: string, env: string): Promise<boolean> {
  const cache = new TokenCache(dir, env);
  let lock: HeldLock;
  try {
    lock = await cache.lock({ what: `logging out of env "${env}"`, timeoutMs: 30_000 });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    if (err instanceof UnsafePathError) {
      throw new FailedError("CACHE_UNSAFE", err.message, {
        hint: "lmi does not follow links or use files of other users in its cache; remove it",
      });
    }
    throw err;
  }
  try {
    return await cache.remove();
  } finally {
    lock.release();
  }
}

/** The env names with anything lmi wrote in `dir`: a token, JWKS, DPoP key or temp file. */
export async function cachedEnvNames(dir: string): Promise<string[]> {
  const names = new Set<string>();
  for (const file of await fileNames(dir)) {
    const m = /^([a-z0-9][a-z0-9_-]*)\.(?:json|jwks\.json|dpop\.jwk)(?:\.[A-Za-z0-9-]+\.tmp)?$/
      .exec(file);
    if (m) names.add(m[1]!);
  }
  return [...names].sort();
}

/** Parse a cache file: the current format, or a single entry as lmi wrote before. */
export function parseCacheFile(text: string): CacheFile | { invalid: string } {
  const d = parseJsonObject(text);
  if (isInvalid(d)) return d;
  if (!Array.isArray(d.entries)) {
    const single = cachedTokenFrom(d);
    return isInvalid(single) ? single : { version: CACHE_FILE_VERSION, entries: [single] };
  }
  if (d.version !== CACHE_FILE_VERSION) {
    return { invalid: `unsupported version ${JSON.stringify(d.version)}` };
  }
  const entries: CachedToken[] = [];
  for (const raw of d.entries) {
    const entry = typeof raw === "object" && raw !== null
      ? cachedTokenFrom(raw as Record<string, unknown>)
      : { invalid: "not a JSON object" };
    if (isInvalid(entry)) return { invalid: `an entry: ${entry.invalid}` };
    entries.push(entry);
  }
  return { version: CACHE_FILE_VERSION, entries };
}

async function fileNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.push(entry.name);
  } catch { /* no folder: nothing cached */ }
  return names;
}
