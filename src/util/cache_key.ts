/**
 * The per-user key of the warm path's caches: 32 random bytes (as hex) in `<data>/lmi/cache.key`,
 * kept OUTSIDE the cache folder, under the rule for lmi's private files (src/util/private_files.ts:
 * this user's regular file, mode 0600, in a 0700 folder). The parsed-config cache
 * (src/config/parsed_cache.ts) and the signature memo (src/tokens/signature_memo.ts) carry an
 * HMAC-SHA-256 under it (src/util/hmac.ts), so whoever can write the cache folder, or a cache
 * folder restored from elsewhere (a CI cache such as actions/cache), cannot make an entry lmi
 * uses: without the MAC it is a miss, rebuilt by the full program.
 *
 * One {@link CacheKey} per process (`Deps.cacheKey`, handed from the warm path to the full
 * program), so the file is read at most once. {@link CacheKey.read} never creates the key: the
 * warm path only declines without it. {@link CacheKey.readOrCreate}, called by the full program
 * when it writes a cache entry, makes it on first use, race-safe between parallel processes: a
 * complete temporary file is hard-linked to the key's name, which fails when another process got
 * there first, and then whichever key won is read. A key file lmi may not use (not this user's
 * private regular file, or not a key) is never used; `readOrCreate` says so and replaces it.
 * Without a data folder (no HOME or APPDATA) there is no key, and the caches are not used.
 *
 * @module
 */
import { toHex } from "./hmac.ts";
import { join } from "./path.ts";
import {
  ensurePrivateDir,
  readPrivateFileSync,
  unsafeFileWarning,
  writeFileAtomic,
} from "./private_files.ts";

/** The key file's name in `<data>/lmi`. */
export const KEY_FILE = "cache.key";

/** The per-user key of lmi's caches, read at most once. */
export interface CacheKey {
  /** The key when its file holds one lmi may use; undefined otherwise. Never creates it. */
  read(): Uint8Array | undefined;
  /**
   * The key, made (or a refused file replaced) when there is none; undefined when there is no
   * data folder lmi can use. `warn` hears why a key file or folder was refused.
   */
  readOrCreate(warn?: (message: string) => void): Promise<Uint8Array | undefined>;
}

/** What the key file holds. */
type Found = { key: Uint8Array } | { missing: true } | { refused: string };

const KEY_TEXT = /^([0-9a-f]{64})\n?$/;

/**
 * The key kept in `dir` (`<data>/lmi`, from `dataDir` in src/config/paths.ts); undefined: no
 * data folder, so no key.
 */
export function userCacheKey(dir: string | undefined): CacheKey {
  let found: Found | undefined;
  let made: Promise<Uint8Array | undefined> | undefined;
  const read = (): Uint8Array | undefined => {
    found ??= dir === undefined ? { missing: true } : readKeyFile(join(dir, KEY_FILE));
    return "key" in found ? found.key : undefined;
  };
  return {
    read,
    readOrCreate(warn) {
      const key = read();
      if (key || dir === undefined) return Promise.resolve(key);
      return made ??= makeKey(dir, found!, warn).then((now) => {
        found = now;
        return "key" in now ? now.key : undefined;
      });
    },
  };
}

/** `key` for reading only: the warm path uses a key but never makes one. */
export function readOnlyKey(key: CacheKey): CacheKey {
  return { read: () => key.read(), readOrCreate: () => Promise.resolve(key.read()) };
}

function readKeyFile(path: string): Found {
  const read = readPrivateFileSync(path);
  switch (read.state) {
    case "missing":
      return { missing: true };
    case "unsafe":
      return { refused: read.why };
    case "error":
      return { refused: read.reason };
  }
  const hex = KEY_TEXT.exec(read.text)?.[1];
  if (!hex) return { refused: "it does not hold a key" };
  // Not Uint8Array.fromHex: runtimes older than the pinned Deno lack it.
  return {
    key: Uint8Array.from({ length: 32 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16)),
  };
}

/** Make the key file (or replace a refused one), then read whichever key is there now. */
async function makeKey(
  dir: string,
  before: Found,
  warn: ((message: string) => void) | undefined,
): Promise<Found> {
  const path = join(dir, KEY_FILE);
  try {
    await ensurePrivateDir(dir, 1);
    const text = toHex(crypto.getRandomValues(new Uint8Array(32))) + "\n";
    if ("refused" in before) {
      warn?.(unsafeFileWarning(path, before.refused));
      await writeFileAtomic(path, text);
    } else {
      await createNoClobber(path, text);
    }
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    warn?.(`cannot keep lmi's cache key in ${dir}: ${why}; lmi's caches are not used`);
    return { refused: why };
  }
  return readKeyFile(path);
}

/**
 * Put `text` at `path` whole, unless a file is there already (another process's key, which then
 * wins): a private temporary file, hard-linked to `path`. Where the file system has no hard links,
 * a rename (atomic, but the last of two racing writers wins; each reads back what is there).
 */
async function createNoClobber(path: string, text: string): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(tmp, text, { mode: 0o600, createNew: true });
  try {
    if (Deno.build.os !== "windows") await Deno.chmod(tmp, 0o600);
    try {
      await Deno.link(tmp, path);
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) return;
      await Deno.rename(tmp, path);
    }
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}
