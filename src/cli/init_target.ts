/**
 * The file `lmi init` writes: the one named by `--config` or `LMI_CONFIG`, else `lmi.toml` in the
 * current folder; and what it holds now. A file the user named is theirs to extend. An existing
 * `./lmi.toml` is extended only when the user trusts it (DESIGN.md → Trust): `lmi init` records
 * what it writes as trusted, so extending a stranger's file would launder its content into trust.
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { findConfig, findNearest, parseConfigText } from "../config/load.ts";
import type { FileConfig } from "../config/schema.ts";
import { readSmallFile } from "../config/small_file.ts";
import {
  canonicalPath,
  configDigest,
  judgeDiscovered,
  UntrustedConfigError,
} from "../config/trust.ts";
import { ConfigError } from "../errors.ts";
import { dirname, join, resolve } from "../util/path.ts";
import { visible } from "../ui/text.ts";
import type { GlobalFlags } from "./spec.ts";

/** The file as it is before `lmi init` extends it. */
export interface ExistingConfig {
  text: string;
  bytes: Uint8Array;
  file: FileConfig;
  /** Its permission bits (POSIX), kept by the rewrite. */
  mode?: number;
  /** Whether the user trusts it as lmi would judge it discovered (recorded, or LMI_TRUSTED_PATHS). */
  trusted: boolean;
}

export interface InitTarget {
  /** Absolute path (canonical when the file exists, so a link is written through). */
  path: string;
  /** How the user named it; absent: the current folder's lmi.toml. */
  named?: "--config" | "LMI_CONFIG";
  existing?: ExistingConfig;
  /** An lmi.toml above the current folder that a new one here takes the place of. */
  shadows?: string;
}

function stat(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw new ConfigError("CONFIG_UNREADABLE", `cannot read ${visible(path)}: ${message(err)}`, {
      hint: "check the path and its folder's permissions",
      cause: err,
    });
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The file `lmi init` means: named (a folder means its lmi.toml), else ./lmi.toml. */
function targetPath(
  deps: Pick<Deps, "env" | "cwd" | "os">,
  globals: Pick<GlobalFlags, "config">,
): { path: string; named?: "--config" | "LMI_CONFIG" } {
  const found = findConfig(deps, globals.config);
  if (found && (found.origin === "flag" || found.origin === "LMI_CONFIG")) {
    const path = stat(found.path)?.isDirectory ? join(found.path, "lmi.toml") : found.path;
    return { path, named: found.origin === "flag" ? "--config" : "LMI_CONFIG" };
  }
  return { path: resolve(deps.cwd, "lmi.toml") };
}

/** Whether lmi would use the file at `path` (canonical) were it discovered, and if not, why. */
function trustOf(
  deps: Pick<Deps, "env" | "os">,
  path: string,
  bytes: Uint8Array,
  named: boolean,
): "trusted" | "untrusted" | "changed" {
  try {
    judgeDiscovered(deps, path, () => configDigest(bytes));
    return "trusted";
  } catch (err) {
    if (err instanceof UntrustedConfigError) return err.changed ? "changed" : "untrusted";
    // A relative LMI_TRUSTED_PATHS entry decides nothing for a file the user named.
    if (named) return "untrusted";
    throw err;
  }
}

/**
 * Where `lmi init` writes and what is there. Throws an UntrustedConfigError (exit 3) for an
 * existing ./lmi.toml the user has not trusted, a ConfigError for one lmi cannot read or parse.
 */
export async function initTarget(
  deps: Pick<Deps, "env" | "cwd" | "os">,
  globals: Pick<GlobalFlags, "config">,
): Promise<InitTarget> {
  const { path: given, named } = targetPath(deps, globals);
  const info = stat(given);
  if (!info) {
    const above = named ? undefined : findNearest(dirname(deps.cwd));
    return {
      path: given,
      ...(named ? { named } : {}),
      ...(above ? { shadows: above } : {}),
    };
  }
  const path = canonicalPath(given);
  let read;
  try {
    read = readSmallFile(path);
  } catch (err) {
    throw new ConfigError("CONFIG_UNREADABLE", `cannot read ${visible(path)}: ${message(err)}`, {
      hint: "check the file's permissions, or write another file with --config PATH",
      cause: err,
    });
  }
  if ("refused" in read) {
    throw new ConfigError("CONFIG_UNREADABLE", `cannot read ${visible(path)}: ${read.refused}`, {
      hint: "an lmi.toml is a small regular file: check the path, or write another with --config",
    });
  }
  const trust = trustOf(deps, path, read.bytes, named !== undefined);
  if (!named && trust !== "trusted") {
    throw new UntrustedConfigError(path, trust === "changed", {
      why: "lmi init adds only to a file you trust, and trusts what it writes",
      hint: "review it (lmi trust --show), run lmi trust, then lmi init again; or write a file " +
        "of your own with --config PATH",
    });
  }
  // A file lmi cannot use is not extended: the error says what to fix first.
  const file = await parseConfigText(read.text, path);
  return {
    path,
    ...(named ? { named } : {}),
    existing: {
      text: read.text,
      bytes: read.bytes,
      file,
      ...(deps.os === "windows" ? {} : { mode: info.mode! & 0o777 }),
      trusted: trust === "trusted",
    },
  };
}

/**
 * Whether the file is still as {@link initTarget} read it (still absent, or the same bytes): what
 * lmi init appends to and trusts is what it read, never a change made while it asked questions.
 */
export function stillAsRead(target: InitTarget): boolean {
  let now;
  try {
    now = readSmallFile(target.path);
  } catch (err) {
    return err instanceof Deno.errors.NotFound && target.existing === undefined;
  }
  if ("refused" in now || target.existing === undefined) return false;
  return configDigest(now.bytes) === configDigest(target.existing.bytes);
}
