/**
 * Saving what `lmi init` wrote: the config file replaced whole (a temporary file in the same
 * folder, then a rename, so a reader sees the old file or the new one, never half of it), with
 * the old file's mode (a new one: 0644 less the umask; it holds no secrets); then the bytes
 * written recorded as trusted (DESIGN.md → Trust: "a file lmi init writes at the user's request
 * is recorded as trusted as written").
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { configDigest, withRecord } from "../config/trust.ts";
import { ConfigError, LmiError } from "../errors.ts";
import type { Logger } from "../ui/log.ts";
import { visible } from "../ui/text.ts";
import { dirname } from "../util/path.ts";
import { updateTrust } from "./trust_records.ts";

/** Write `text` to `path` atomically; `mode` (POSIX) is the old file's, absent for a new file. */
export async function writeConfigFile(path: string, text: string, mode?: number): Promise<void> {
  const dir = dirname(path);
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(tmp, text, { mode: mode ?? 0o644, createNew: true });
    if (mode !== undefined) await Deno.chmod(tmp, mode);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw new ConfigError(
      "CONFIG_NOT_WRITTEN",
      `cannot write ${visible(path)}: ${err instanceof Error ? err.message : String(err)}`,
      { hint: "check the folder's permissions, or write elsewhere with --config PATH", cause: err },
    );
  }
}

/**
 * Record the file at `path` (canonical) as trusted with the bytes of `text`. Returns why it
 * could not be, instead of failing: the file is written by then, and the user can still trust it.
 */
export async function recordTrusted(
  deps: Pick<Deps, "env" | "os" | "now">,
  log: Logger,
  path: string,
  text: string,
): Promise<string | undefined> {
  const record = {
    path,
    sha256: configDigest(new TextEncoder().encode(text)),
    trusted_at: new Date(deps.now()).toISOString(),
  };
  try {
    await updateTrust(deps, log, (records) => ({
      records: withRecord(records, record, deps.os),
      result: undefined,
    }));
    return undefined;
  } catch (err) {
    if (err instanceof LmiError) return err.message;
    return err instanceof Error ? err.message : String(err);
  }
}
