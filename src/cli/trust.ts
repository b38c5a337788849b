/**
 * `lmi trust [PATH] [--list]`: show what a config file lets lmi do, then record it as trusted
 * (its canonical path and the SHA-256 of its bytes, in `<data>/lmi/trust.json`). PATH defaults
 * to the file lmi would discover here. `--list` shows the recorded files and whether each is
 * still as trusted. See src/config/trust.ts for the rule itself.
 *
 * @module
 */
import { parseConfigText } from "../config/load.ts";
import { readSmallFile } from "../config/small_file.ts";
import {
  configDigest,
  findRecord,
  readTrustRecords,
  type TrustRecord,
  withRecord,
} from "../config/trust.ts";
import { type ConfigReview, reviewConfig, reviewLines, shown } from "../config/trust_review.ts";
import { ConfigError } from "../errors.ts";
import { writeJson } from "./common.ts";
import type { Flags, TRUST_OPTIONS } from "./spec.ts";
import type { CommandArgs, CommandContext } from "./spec.ts";
import { targetFile, updateTrust } from "./trust_records.ts";

export interface TrustOptions {
  path?: string;
  list: boolean;
}

/** Flags → options (no I/O). */
export function parseOptions(
  flags: Flags<typeof TRUST_OPTIONS>,
  { positionals }: Pick<CommandArgs, "positionals">,
): TrustOptions {
  const path = positionals[0];
  return path === undefined ? { list: !!flags.list } : { path, list: !!flags.list };
}

export function run(options: TrustOptions, ctx: CommandContext): Promise<number> {
  return options.list ? list(ctx) : trust(options.path, ctx);
}

/** The file's bytes and text, or a ConfigError saying why it cannot be read. */
function readConfigFile(path: string): { text: string; bytes: Uint8Array } {
  let file;
  try {
    file = readSmallFile(path);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound
      ? "no such file"
      : err instanceof Error
      ? err.message
      : String(err);
    throw new ConfigError("CONFIG_NOT_FOUND", `cannot read ${path}: ${why}`, {
      hint: "give the path of an lmi.toml: lmi trust PATH",
    });
  }
  if ("refused" in file) {
    throw new ConfigError("CONFIG_UNREADABLE", `cannot read ${path}: ${file.refused}`, {
      hint: "give the path of an lmi.toml: lmi trust PATH",
    });
  }
  return file;
}

async function trust(given: string | undefined, ctx: CommandContext): Promise<number> {
  const { deps, log } = ctx;
  const path = targetFile(deps, given);
  const { text, bytes } = readConfigFile(path);
  // A file lmi cannot use is not trusted: the error says what to fix first.
  const file = await parseConfigText(text, path);
  const review = reviewConfig({ path, file, dotenvDirs: [] });
  const record: TrustRecord = {
    path,
    sha256: configDigest(bytes),
    trusted_at: new Date(deps.now()).toISOString(),
  };
  const already = await updateTrust(deps, log, (records) => {
    const before = findRecord(records, path, deps.os);
    return before?.sha256 === record.sha256
      ? { records, result: true }
      : { records: withRecord(records, record, deps.os), result: false };
  });
  if (ctx.globals.json) {
    await writeJson(ctx, { path, sha256: record.sha256, already_trusted: already, ...review });
    return 0;
  }
  sayReview(ctx, path, review);
  log.say(
    already
      ? `Already trusted: ${shown(path)} is as it was when you trusted it.`
      : `Trusted ${shown(path)}: lmi uses it while its content stays as shown ` +
        "(an edit needs lmi trust again; undo with lmi untrust).",
  );
  return 0;
}

function sayReview(ctx: CommandContext, path: string, review: ConfigReview): void {
  ctx.log.say([`${shown(path)} lets lmi:`, ...reviewLines(review)].join("\n"));
}

/** A recorded file's state now: as trusted, changed, or gone. */
function stateOf(record: TrustRecord): "trusted" | "changed" | "missing" {
  try {
    const file = readSmallFile(record.path);
    if ("refused" in file) return "changed";
    return configDigest(file.bytes) === record.sha256 ? "trusted" : "changed";
  } catch {
    return "missing";
  }
}

async function list(ctx: CommandContext): Promise<number> {
  const { records, problem } = readTrustRecords(ctx.deps);
  if (problem) ctx.log.warn(problem);
  const rows = records.map((r) => ({ ...r, state: stateOf(r) }));
  if (ctx.globals.json) {
    await writeJson(ctx, { files: rows });
    return 0;
  }
  if (rows.length === 0) {
    ctx.log.say("No trusted files (lmi trust PATH records one).");
    return 0;
  }
  const text = rows.map((r) => `${r.state.padEnd(8)}  ${r.trusted_at}  ${shown(r.path)}`);
  await ctx.deps.stdout.write(text.join("\n") + "\n");
  return 0;
}
