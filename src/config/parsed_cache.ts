/**
 * The parsed-config cache: the validated form of a config file, kept in lmi's cache folder
 * (`<cache>/lmi/config/parsed.json`) so that a run whose config file has not changed skips
 * loading the TOML parser, parsing and validating. The warm `lmi auth token` path spends most of
 * its time on such work otherwise.
 *
 * An entry is used only for the same file path and the very same text (the file is read on every
 * run anyway; comparing its text costs nothing, and unlike size and mtime it cannot miss an edit
 * made within the clock's resolution or a file restored with an old mtime), written by the same
 * lmi version in the same cache format, and only when what it holds is a config `validateConfig`
 * could have made (`isFileConfig`). The file follows the rule for lmi's files
 * (src/util/private_files.ts): a folder closed to others, a 0600 file written whole; a file that
 * is not lmi's, unreadable, corrupt, or changed into something the validator would not make, is a
 * miss, and is replaced on the next write.
 *
 * It holds the config file's text and its parse, which never contain secrets (they are `*_env`
 * references: a literal one is a config error, and errors are never stored); `.env` files and the
 * environment are read on every run and never stored here.
 *
 * @module
 */
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
export const PARSED_CACHE_FORMAT = 1;

/** At most this many config files are remembered (the most recently parsed first). */
export const MAX_PARSED_ENTRIES = 8;

/** One remembered parse. */
export interface ParsedEntry {
  /** The config file's absolute path. */
  path: string;
  /** The file's text, as parsed. */
  text: string;
  /** lmi's version and the cache format that wrote it. */
  lmi: string;
  format: number;
  config: FileConfig;
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

/** The cached parse of the config file at `path` whose text is `text`, or undefined (a miss). */
export function readParsed(cachePath: string, path: string, text: string): FileConfig | undefined {
  const entry = readEntries(cachePath).find((e) => isEntryFor(e, path));
  if (!entry || entry.text !== text) return undefined;
  if (entry.lmi !== VERSION || entry.format !== PARSED_CACHE_FORMAT) return undefined;
  return isFileConfig(entry.config) ? entry.config : undefined;
}

/**
 * Remember `config` as the parse of `path` with `text`. Best effort: a config that JSON cannot
 * carry exactly is not stored, and a folder or file lmi cannot use is left alone (no error).
 */
export async function writeParsed(
  cachePath: string,
  path: string,
  text: string,
  config: FileConfig,
): Promise<void> {
  if (!jsonExact(config)) return;
  try {
    const entry: ParsedEntry = { path, text, lmi: VERSION, format: PARSED_CACHE_FORMAT, config };
    await ensurePrivateDir(dirname(cachePath));
    const others = readEntries(cachePath).filter((e) =>
      typeof e === "object" && e !== null && (e as { path?: unknown }).path !== path
    );
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
