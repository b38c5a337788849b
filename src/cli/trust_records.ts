/**
 * What `lmi trust` and `lmi untrust` share: which file a command means, and changing
 * `<data>/lmi/trust.json` under a cross-process lock (two `lmi trust` runs at once both land).
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { findNearest } from "../config/load.ts";
import { dataDir, trustFilePath } from "../config/paths.ts";
import {
  canonicalPath,
  readTrustRecords,
  trustFileText,
  type TrustRecord,
} from "../config/trust.ts";
import { ConfigError } from "../errors.ts";
import { acquireLock } from "../tokens/lock.ts";
import { ensurePrivateDir, writeFileAtomic } from "../util/private_files.ts";
import { join, resolve } from "../util/path.ts";
import type { Logger } from "../ui/log.ts";
import { visible } from "../ui/text.ts";

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * The config file a trust command means: `path` (a folder means its lmi.toml), else the file lmi
 * would discover in the current folder. Canonical when it exists.
 */
export function targetFile(deps: Pick<Deps, "cwd">, path: string | undefined): string {
  if (path === undefined) {
    const nearest = findNearest(deps.cwd);
    if (!nearest) {
      const dotenv = [".env", ".env.default"].some((n) => isFile(join(deps.cwd, n)));
      throw new ConfigError("CONFIG_NOT_FOUND", `no lmi.toml in ${visible(deps.cwd)} or above it`, {
        hint: dotenv
          ? "a .env on its own is read when its folder is listed in LMI_TRUSTED_PATHS; an " +
            "lmi.toml elsewhere: lmi trust PATH"
          : "give the file's path: lmi trust PATH",
      });
    }
    return canonicalPath(nearest);
  }
  const given = resolve(deps.cwd, path);
  let isDir = false;
  try {
    isDir = Deno.statSync(given).isDirectory;
  } catch { /* a file that is gone can still be untrusted */ }
  return canonicalPath(isDir ? join(given, "lmi.toml") : given);
}

/** Change the trust records with `change`, under the lock; returns what `change` returned. */
export async function updateTrust<T>(
  deps: Pick<Deps, "env" | "os">,
  log: Logger,
  change: (records: TrustRecord[]) => { records: TrustRecord[]; result: T },
): Promise<T> {
  const dir = dataDir(deps);
  const file = trustFilePath(deps);
  if (!dir || !file) {
    const variable = deps.os === "windows" ? "APPDATA" : "HOME";
    throw new ConfigError(
      "NO_DATA_DIR",
      `no folder for lmi's trust records (${variable} is not set)`,
      {
        hint: `set ${variable}, or name the config with --config or LMI_CONFIG (no trust step)`,
      },
    );
  }
  await ensurePrivateDir(dir, 1);
  using _lock = await acquireLock(join(dir, "trust.lock"), {
    what: "changing the trust records",
    onWait: () => log.say("Waiting for another lmi changing the trust records…"),
  });
  const { records, problem } = readTrustRecords(deps);
  if (problem && problem.kind !== "no data folder") {
    log.warn(`${problem.text}; it will be replaced`);
  }
  const { records: next, result } = change(records);
  await writeFileAtomic(file, trustFileText(next));
  return result;
}
