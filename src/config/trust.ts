/**
 * Trust in a config file lmi discovers (DESIGN.md → Configuration → Trust).
 *
 * A config file decides which commands lmi runs (`type = "command"`), which variables it reads
 * and which hosts it sends them to, and git, Docker and kubectl run lmi in whatever folder the
 * user is in, repositories written by strangers included. So the nearest `lmi.toml` is used only
 * when the user trusted it: it lies at or below a folder in `LMI_TRUSTED_PATHS`, or `lmi trust`
 * recorded its canonical path and the SHA-256 of its bytes in `<data>/lmi/trust.json` (trust is
 * by content, as direnv's: an edited file must be trusted again). A file the user named
 * (`--config`, `LMI_CONFIG`) and the user config file need no step.
 *
 * The same question decides which `.env` files are read, and for what: those beside a file lmi
 * may use and the current folder's when it lies in `LMI_TRUSTED_PATHS` give values; only a folder
 * the user trusts as a whole gives settings that say where lmi goes ({@link dotenvFolders}).
 *
 * Everything here is synchronous and reads a few small files: it runs on the warm `auth token`
 * path, before anything from the parsed-config cache is used (a cache hit only saves hashing the
 * file: src/config/load.ts).
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { ConfigError, q } from "../errors.ts";
import { dirname, isAbsolute, normalize } from "../util/path.ts";
import { readPrivateFileSync } from "../util/private_files.ts";
import { sha256Hex } from "../util/sha256.ts";
import { visible } from "../ui/text.ts";
import { trustFilePath } from "./paths.ts";

type TrustDeps = Pick<Deps, "env" | "os">;

/** Why lmi may use a config file. */
export type TrustBasis =
  /** Named with `--config` or `LMI_CONFIG`, or the user config file: no step needed. */
  | { kind: "named"; by: "--config" | "LMI_CONFIG" | "user config" }
  /** At or below `folder`, which `LMI_TRUSTED_PATHS` lists. */
  | { kind: "trusted path"; folder: string }
  /** Recorded by `lmi trust` at `at` (ISO 8601), with these very bytes. */
  | { kind: "recorded"; at: string };

/** One file `lmi trust` recorded. */
export interface TrustRecord {
  /** The file's canonical path (links resolved). */
  path: string;
  /** SHA-256 of the file's bytes, lower-case hex. */
  sha256: string;
  /** When it was trusted (ISO 8601 UTC). */
  trusted_at: string;
}

/** The format of `trust.json`; another is read as no records. */
export const TRUST_FORMAT = 1;

/** A discovered config file the user has not trusted, or has changed since. Exit 3. */
export class UntrustedConfigError extends ConfigError {
  override name = "UntrustedConfigError";
  /** The file's canonical path. */
  readonly path: string;
  /** Whether it was trusted with other contents. */
  readonly changed: boolean;
  constructor(path: string, changed: boolean, options: { why?: string; hint: string }) {
    const shown = visible(path);
    super(
      changed ? "CONFIG_CHANGED" : "CONFIG_UNTRUSTED",
      changed
        ? `${shown} changed since you trusted it`
        : `${shown} is not trusted${options.why ? ` (${options.why})` : ""}`,
      { hint: options.hint },
    );
    this.path = path;
    this.changed = changed;
  }
}

/**
 * The hint for an untrusted file: review and trust it, or name the config to use instead (in CI,
 * where nobody runs `lmi trust`, the job's own settings); or what keeps the trust records from
 * being read.
 */
function untrustedHint(deps: TrustDeps, problem: TrustProblem | undefined): string {
  if (problem?.kind === "no data folder") {
    return `review it, then run lmi trust (after setting ${
      deps.os === "windows" ? "APPDATA" : "HOME"
    }), or name the config with --config or LMI_CONFIG`;
  }
  if (problem?.kind === "unsafe") {
    return `review it, then run lmi trust, which replaces ${problem.path}; or, if that file is ` +
      `as you left it, chmod 600 ${problem.path}`;
  }
  if ((deps.env("CI") ?? "") !== "") {
    return "review it, then run lmi trust, or name it in the job with LMI_CONFIG or list its " +
      "folder in LMI_TRUSTED_PATHS";
  }
  return "review it, then run lmi trust (lmi trust --show shows what it lets lmi do), or name " +
    "your config with --config or LMI_CONFIG";
}

/** Paths compare without regard to case where the file system usually does (Windows, macOS). */
function key(path: string, os: string): string {
  return os === "windows" || os === "darwin" ? path.toLowerCase() : path;
}

/**
 * Whether `path` is `folder` or lies below it (both canonical). `os` decides how case compares
 * (`"exact"`: as written, for two paths the OS itself resolved); a Windows path's backslash separates
 * as `/` does whatever `os` says.
 */
export function isWithin(path: string, folder: string, os: string): boolean {
  const p = key(path, os);
  const f = key(folder, os).replace(/[\\/]+$/, "");
  const windowsStyle = os === "windows" || /^[A-Za-z]:|^\\\\/.test(f);
  return p === f || p.startsWith(`${f}/`) || (windowsStyle && p.startsWith(`${f}\\`));
}

/** The path with links resolved; as given (normalised) when it does not exist. */
export function canonicalPath(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return normalize(path);
  }
}

/**
 * The folders `LMI_TRUSTED_PATHS` lists (`:`-separated, `;` on Windows, as PATH), canonical.
 * Empty entries are skipped, as are folders that do not exist (nothing lies below them); a
 * relative entry is a ConfigError, since it would trust a different folder in every directory.
 */
export function trustedPaths(deps: TrustDeps, { strict = true } = {}): string[] {
  const list = deps.env("LMI_TRUSTED_PATHS") ?? "";
  const out: string[] = [];
  for (const entry of list.split(deps.os === "windows" ? ";" : ":")) {
    if (entry === "") continue;
    if (!isAbsolute(entry)) {
      // An error only where it decides something (a discovered file); it never trusts anything.
      if (!strict) continue;
      throw new ConfigError(
        "CONFIG_INVALID",
        `LMI_TRUSTED_PATHS: ${q(visible(entry))} is not absolute`,
        { hint: `list absolute folders, separated by ${q(deps.os === "windows" ? ";" : ":")}` },
      );
    }
    try {
      out.push(Deno.realPathSync(entry));
    } catch {
      // A folder that does not exist holds no config.
    }
  }
  return out;
}

/** Why the trust records cannot be used. */
export interface TrustProblem {
  kind: "no data folder" | "unsafe" | "unreadable";
  /** The trust file, when there is a data folder. */
  path?: string;
  /** In words, for a message. */
  text: string;
}

/** The records in `<data>/lmi/trust.json`, or why there are none to use. */
export function readTrustRecords(
  deps: TrustDeps,
): { records: TrustRecord[]; problem?: TrustProblem } {
  const path = trustFilePath(deps);
  if (!path) {
    const variable = deps.os === "windows" ? "APPDATA" : "HOME";
    return {
      records: [],
      problem: { kind: "no data folder", text: `no data folder: ${variable} is not set` },
    };
  }
  const problem = (kind: TrustProblem["kind"], why: string) => ({
    records: [],
    problem: { kind, path, text: `ignoring ${path}: ${why}` },
  });
  const read = readPrivateFileSync(path);
  if (read.state === "missing") return { records: [] };
  if (read.state === "unsafe") return problem("unsafe", read.why);
  if (read.state === "error") return problem("unreadable", read.reason);
  try {
    const data = JSON.parse(read.text) as { version?: unknown; files?: unknown };
    if (data?.version !== TRUST_FORMAT || !Array.isArray(data.files)) {
      return problem("unreadable", "not a trust file lmi wrote");
    }
    return { records: data.files.filter(isRecord) };
  } catch {
    return problem("unreadable", "not valid JSON");
  }
}

function isRecord(x: unknown): x is TrustRecord {
  const r = x as Partial<TrustRecord> | null;
  return typeof r === "object" && r !== null && typeof r.path === "string" &&
    typeof r.sha256 === "string" && typeof r.trusted_at === "string";
}

/** The SHA-256 (hex) a trust record holds for a file with these bytes. */
export function configDigest(bytes: Uint8Array): string {
  return sha256Hex(bytes);
}

/** The record for the file at `path` (canonical), if any. */
export function findRecord(
  records: readonly TrustRecord[],
  path: string,
  os: string,
): TrustRecord | undefined {
  return records.find((r) => key(r.path, os) === key(path, os));
}

/**
 * Why lmi may use the discovered config at `path` (canonical) whose bytes have the SHA-256
 * `digest()` ({@link configDigest}; asked only when a trust record is consulted); throws
 * {@link UntrustedConfigError} when it may not.
 */
export function judgeDiscovered(
  deps: TrustDeps,
  path: string,
  digest: () => string,
): TrustBasis {
  for (const folder of trustedPaths(deps)) {
    if (isWithin(path, folder, deps.os)) return { kind: "trusted path", folder };
  }
  const { records, problem } = readTrustRecords(deps);
  const record = findRecord(records, path, deps.os);
  if (record && record.sha256 === digest()) {
    return { kind: "recorded", at: record.trusted_at };
  }
  throw new UntrustedConfigError(path, record !== undefined, {
    ...(problem ? { why: problem.text } : {}),
    hint: untrustedHint(deps, problem),
  });
}

/** The folder in `LMI_TRUSTED_PATHS` at or above `path` (canonical), if any. */
export function trustedPathFor(deps: TrustDeps, path: string): string | undefined {
  return trustedPaths(deps, { strict: false }).find((folder) => isWithin(path, folder, deps.os));
}

/**
 * The folders whose `.env` files may be read, strongest first: the config file's (it is one lmi
 * may use), and the current folder when it is trusted ground: in `LMI_TRUSTED_PATHS`. A
 * stranger's repository is not, even below a trusted project, so its `.env` cannot fill in a
 * variable the config reads. `settings`: the folders whose `.env` files may also hold settings
 * that define an env (`LMI_TOKEN_URL`, `LMI_SUBJECT_TOKEN_FILE`…, src/config/dotenv.ts): only
 * those in `LMI_TRUSTED_PATHS` and the user config's. A `.env` beside a trusted `lmi.toml` is
 * not part of what was trusted (a `git pull` changes it without a new `lmi trust`), so it
 * supplies values, never where they go.
 */
export function dotenvFolders(
  deps: Pick<Deps, "env" | "os" | "cwd">,
  configPath: string | undefined,
  trust: TrustBasis | undefined,
): { read: string[]; unread?: string; settings: string[] } {
  const trusted = trustedPaths(deps, { strict: false });
  const inTrustedPath = (dir: string) => trusted.some((folder) => isWithin(dir, folder, deps.os));
  const read = configPath ? [dirname(configPath)] : [];
  const settings = read.filter((dir) =>
    (trust?.kind === "named" && trust.by === "user config") || inTrustedPath(dir)
  );
  const cwd = canonicalPath(deps.cwd);
  if (read.some((dir) => key(dir, deps.os) === key(cwd, deps.os))) return { read, settings };
  if (!inTrustedPath(cwd)) return { read, unread: cwd, settings };
  return { read: [...read, cwd], settings: [...settings, cwd] };
}

/** `records` with `path` trusted as having `digest`, recorded at `at`. */
export function withRecord(
  records: readonly TrustRecord[],
  record: TrustRecord,
  os: string,
): TrustRecord[] {
  return [...withoutRecord(records, record.path, os), record];
}

/** `records` without the one for `path`. */
export function withoutRecord(
  records: readonly TrustRecord[],
  path: string,
  os: string,
): TrustRecord[] {
  return records.filter((r) => key(r.path, os) !== key(path, os));
}

/** The text of `trust.json` holding `records`. */
export function trustFileText(records: readonly TrustRecord[]): string {
  return JSON.stringify({ version: TRUST_FORMAT, files: records }, null, 2) + "\n";
}
