/**
 * The parsed-config cache: the validated form of a config file, kept in lmi's cache folder
 * (`<cache>/lmi/config/parsed.json`) so that a run whose config file has not changed skips
 * loading the TOML parser, parsing and validating. The warm `lmi auth token` path spends most of
 * its time on such work otherwise.
 *
 * An entry is used only for the same file path and the very same text (the file is read on every
 * run anyway; comparing its text costs nothing, and unlike size and mtime it cannot miss an edit
 * made within the clock's resolution or a file restored with an old mtime), written by the same
 * lmi version in the same cache format, with a MAC that verifies, and only when what it holds is
 * a config `validateConfig` could have made (`isFileConfig`). An entry also holds the SHA-256 of
 * the file's bytes when it was parsed: a discovered file's trust is judged by that digest
 * (src/config/trust.ts), and a hit gives it without hashing the file again on the warm path.
 *
 * The MAC: HMAC-SHA-256 of the entry (path, text, version, format and parse) under the per-user
 * key in `<data>/lmi/` (src/util/cache_key.ts), outside the cache folder. A parse decides what lmi
 * runs (an env whose `type = "command"` runs its command), and a cache folder is what CI systems
 * restore from elsewhere (actions/cache) or what anyone who can write it may edit; the text check
 * alone cannot tell a parse lmi made from one planted beside the same text. So an entry without
 * the MAC this user's key gives (none, another, edited, another user's or machine's cache, or no
 * key at all) is a miss: the config is parsed again and the entry rewritten under the key.
 *
 * The file follows the rule for lmi's files (src/util/private_files.ts): a folder closed to
 * others, a 0600 file written whole; a file that is not lmi's, unreadable, corrupt, or changed
 * into something the validator would not make, is a miss, and is replaced on the next write.
 *
 * It holds the config file's text and its parse, which never contain secrets (they are `*_env`
 * references: a literal one is a config error, and errors are never stored); `.env` files and the
 * environment are read on every run and never stored here.
 *
 * @module
 */
import { hmacSha256Hex, sameMac } from "../util/hmac.ts";
import { dirname, join } from "../util/path.ts";
import { ensurePrivateDir, readPrivateFileSync, writeFileAtomic } from "../util/private_files.ts";
import type { Deps } from "../context.ts";
import { VERSION } from "../version.ts";
import { cacheRoot } from "./paths.ts";
import { type FileConfig, isFileConfig } from "./schema.ts";

/**
 * The cache's format. Bump it when what `validateConfig` returns for a given file changes shape
 * or meaning without a change of lmi's version (entries of another format are misses).
 */
export const PARSED_CACHE_FORMAT = 4;

/** At most this many config files are remembered (the most recently parsed first). */
export const MAX_PARSED_ENTRIES = 8;

/** One remembered parse. */
export interface ParsedEntry {
  /** The config file's absolute path. */
  path: string;
  /** The file's text, as parsed. */
  text: string;
  /** SHA-256 (hex) of the file's bytes, as read for that parse. */
  sha256: string;
  /** lmi's version and the cache format that wrote it. */
  lmi: string;
  format: number;
  config: FileConfig;
  /** HMAC-SHA-256 (hex) of the fields above under the user's cache key: {@link entryMac}. */
  mac: string;
}

/**
 * The MAC an entry carries: over one JSON text of its fields in a fixed order (a parse that
 * `jsonExact` accepts reads back as the same value, so the same text), named for this cache so
 * that no other MAC made with the key passes for it.
 */
export function entryMac(key: Uint8Array, entry: Omit<ParsedEntry, "mac">): string {
  const { path, text, sha256, lmi, format, config } = entry;
  return hmacSha256Hex(
    key,
    JSON.stringify(["lmi parsed config", path, text, sha256, lmi, format, config]),
  );
}

/** Whether `e` is a whole entry whose MAC verifies under `key`. */
function isSealed(e: unknown, key: Uint8Array): e is ParsedEntry {
  const x = e as Partial<ParsedEntry> | null;
  return typeof x === "object" && x !== null && typeof x.path === "string" &&
    typeof x.text === "string" && typeof x.sha256 === "string" && typeof x.mac === "string" &&
    sameMac(x.mac, entryMac(key, x as ParsedEntry));
}

/** `<cache>/lmi/config/parsed.json`, or undefined without a cache folder. */
export function parsedCachePath(deps: Pick<Deps, "env" | "os">): string | undefined {
  const root = cacheRoot(deps);
  return root ? join(root, "lmi", "config", "parsed.json") : undefined;
}

/** The entries of the cache file at `cachePath`; none when it is missing, not lmi's or corrupt. */
function readEntries(cachePath: string): unknown[] {
  const read = readPrivateFileSync(cachePath);
  if (read.state !== "ok") return [];
  try {
    const data = JSON.parse(read.text) as { entries?: unknown };
    return Array.isArray(data?.entries) ? data.entries : [];
  } catch {
    return [];
  }
}

function isEntryFor(e: unknown, path: string): e is ParsedEntry {
  const x = e as Partial<ParsedEntry> | null;
  return typeof x === "object" && x !== null && x.path === path && typeof x.text === "string";
}

/**
 * The cached parse of the config file at `path` whose text is `text`, with the digest of the bytes
 * it was parsed from, or undefined (a miss); `key`: the user's cache key (without one, every entry
 * is a miss).
 */
export function readParsed(
  cachePath: string,
  path: string,
  text: string,
  key: Uint8Array | undefined,
): { config: FileConfig; sha256: string } | undefined {
  if (!key) return undefined;
  const entry = readEntries(cachePath).find((e) => isEntryFor(e, path));
  if (!entry || entry.text !== text) return undefined;
  if (entry.lmi !== VERSION || entry.format !== PARSED_CACHE_FORMAT) return undefined;
  if (!isSealed(entry, key)) return undefined;
  return isFileConfig(entry.config) ? { config: entry.config, sha256: entry.sha256 } : undefined;
}

/**
 * Remember `config` as the parse of `path` with `text` (bytes with the digest `sha256`), MACed
 * under `key`; the other entries kept
 * are those that verify under it. Best effort: a config that JSON cannot carry exactly is not
 * stored, and a folder or file lmi cannot use is left alone (no error).
 */
export async function writeParsed(
  cachePath: string,
  path: string,
  text: string,
  sha256: string,
  config: FileConfig,
  key: Uint8Array,
): Promise<void> {
  if (!jsonExact(config)) return;
  try {
    const fields = { path, text, sha256, lmi: VERSION, format: PARSED_CACHE_FORMAT, config };
    const entry: ParsedEntry = { ...fields, mac: entryMac(key, fields) };
    await ensurePrivateDir(dirname(cachePath));
    const others = readEntries(cachePath).filter((e) => isSealed(e, key) && e.path !== path);
    const file = { entries: [entry, ...others].slice(0, MAX_PARSED_ENTRIES) };
    await writeFileAtomic(cachePath, JSON.stringify(file) + "\n");
  } catch {
    // An unusable cache folder only costs the next run a parse.
  }
}

/** Whether `JSON.parse(JSON.stringify(value))` gives back exactly `value`. */
export function jsonExact(value: unknown): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object":
      if (value === null) return true;
      if (Array.isArray(value)) return value.every(jsonExact);
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      return Object.values(value).every(jsonExact);
    default:
      return false;
  }
}
