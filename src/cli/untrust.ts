/**
 * `lmi untrust [PATH]`: forget a config file `lmi trust` recorded (PATH defaults to the file lmi
 * would discover here); lmi then refuses to use it until it is trusted again.
 *
 * @module
 */
import { findRecord, trustedPathFor, withoutRecord } from "../config/trust.ts";
import { shown } from "../config/trust_review.ts";
import type { CommandArgs, CommandContext } from "./spec.ts";
import { targetFile, updateTrust } from "./trust_records.ts";

export interface UntrustOptions {
  path?: string;
}

/** Flags → options (no I/O). */
export function parseOptions(
  _flags: unknown,
  { positionals }: Pick<CommandArgs, "positionals">,
): UntrustOptions {
  const path = positionals[0];
  return path === undefined ? {} : { path };
}

export async function run(options: UntrustOptions, ctx: CommandContext): Promise<number> {
  const { deps, log } = ctx;
  const path = targetFile(deps, options.path);
  const was = await updateTrust(deps, log, (records) => ({
    records: withoutRecord(records, path, deps.os),
    result: findRecord(records, path, deps.os) !== undefined,
  }));
  const folder = trustedPathFor(deps, path);
  log.say(
    (was ? `No longer trusted: ${shown(path)}` : `${shown(path)} was not trusted by lmi trust`) +
      (folder === undefined
        ? ""
        : `\nIt is still trusted: it lies below ${shown(folder)}, which LMI_TRUSTED_PATHS lists.`),
  );
  return 0;
}
