/**
 * `lmi trust [PATH] [--show] [--list]`: show what a config file lets lmi do, then record it as
 * trusted (its canonical path and the SHA-256 of its bytes, in `<data>/lmi/trust.json`). PATH
 * defaults to the file lmi would discover here. `--show` shows and records nothing (the review
 * before trusting); `--list` shows the recorded files, whether each is still as trusted, and the
 * folders `LMI_TRUSTED_PATHS` trusts. See src/config/trust.ts for the rule itself.
 *
 * @module
 */
import { findConfig, parseConfigText } from "../config/load.ts";
import { readSmallFile } from "../config/small_file.ts";
import {
  configDigest,
  findRecord,
  readTrustRecords,
  trustedPathFor,
  trustedPaths,
  type TrustRecord,
  withRecord,
} from "../config/trust.ts";
import { type ConfigReview, reviewConfig, reviewLines, shown } from "../config/trust_review.ts";
import { ConfigError, UsageError } from "../errors.ts";
import { writeJson } from "./common.ts";
import type { CommandArgs, CommandContext, Flags, TRUST_OPTIONS } from "./spec.ts";
import { targetFile, updateTrust } from "./trust_records.ts";

export interface TrustOptions {
  path?: string;
  list: boolean;
  show: boolean;
}

/** Flags → options (no I/O). */
export function parseOptions(
  flags: Flags<typeof TRUST_OPTIONS>,
  { positionals }: Pick<CommandArgs, "positionals">,
): TrustOptions {
  const path = positionals[0];
  const list = !!flags.list, show = !!flags.show;
  if (list && (path !== undefined || show)) {
    throw new UsageError("BAD_ARGUMENTS", "--list takes no PATH and no --show", {
      hint: "lmi trust --list, or lmi trust [PATH] [--show]",
    });
  }
  return path === undefined ? { list, show } : { path, list, show };
}

export function run(options: TrustOptions, ctx: CommandContext): Promise<number> {
  return options.list ? list(ctx) : trust(options, ctx);
}

/** The config named by --config or LMI_CONFIG, if any (as lmi finds it): it needs no trust step. */
function namedConfig(ctx: CommandContext): { path: string; by: string } | undefined {
  const found = findConfig(ctx.deps, ctx.globals.config);
  if (found?.origin === "flag") return { path: found.path, by: "--config" };
  return found?.origin === "LMI_CONFIG" ? { path: found.path, by: "LMI_CONFIG" } : undefined;
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
    throw new ConfigError("CONFIG_NOT_FOUND", `cannot read ${shown(path)}: ${why}`, {
      hint: "check the path (a folder means the lmi.toml in it)",
    });
  }
  if ("refused" in file) {
    throw new ConfigError("CONFIG_UNREADABLE", `cannot read ${shown(path)}: ${file.refused}`, {
      hint: "an lmi.toml is a small regular file: check the path",
    });
  }
  return file;
}

async function trust(options: TrustOptions, ctx: CommandContext): Promise<number> {
  const { deps, log } = ctx;
  const named = options.path === undefined ? namedConfig(ctx) : undefined;
  if (named && !options.show) {
    log.say(
      `${shown(named.path)} is named by ${named.by}: lmi uses it without a trust step (trust is ` +
        "for the lmi.toml lmi finds by itself). lmi trust --show shows what it lets lmi do.",
    );
    return 0;
  }
  const path = named?.path ?? targetFile(deps, options.path);
  const { text, bytes } = readConfigFile(path);
  // A file lmi cannot use is not trusted: the error says what to fix first.
  const file = await parseConfigText(text, path);
  const review = reviewConfig({ path, file, dotenvDirs: [] });
  const sha256 = configDigest(bytes);
  if (options.show) {
    if (ctx.globals.json) await writeJson(ctx, { path, sha256, ...review });
    else sayReview(ctx, path, review);
    return 0;
  }
  const record: TrustRecord = { path, sha256, trusted_at: new Date(deps.now()).toISOString() };
  const before = await updateTrust(deps, log, (records) => {
    const before = findRecord(records, path, deps.os);
    return before?.sha256 === sha256
      ? { records, result: before }
      : { records: withRecord(records, record, deps.os), result: before };
  });
  const already = before?.sha256 === sha256;
  if (ctx.globals.json) {
    await writeJson(ctx, { path, sha256, already_trusted: already, ...review });
    return 0;
  }
  sayReview(ctx, path, review);
  const folder = trustedPathFor(deps, path);
  const notes = [
    !/^lmi\.toml$/i.test(path.split(/[\\/]/).pop() ?? "") &&
    "lmi finds only files named lmi.toml by itself; this one is used when named with --config " +
      "or LMI_CONFIG, which needs no trust step.",
    folder !== undefined &&
    `It lies below ${shown(folder)}, which LMI_TRUSTED_PATHS trusts anyway.`,
  ].filter((n) => typeof n === "string");
  log.say(
    [
      already
        ? `Already trusted: ${shown(path)} is as it was when you trusted it.`
        : before
        ? `Trusted again: ${shown(path)} changed since you trusted it at ${before.trusted_at}; ` +
          "lmi uses it until its content changes."
        : `Trusted ${shown(path)}: lmi uses it until its content changes ` +
          "(then lmi trust again; undo with lmi untrust).",
      ...notes,
    ].join("\n"),
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
  if (problem) ctx.log.warn(problem.text);
  const rows = records.map((r) => ({ ...r, state: stateOf(r) }));
  const folders = trustedPaths(ctx.deps, { strict: false });
  if (ctx.globals.json) {
    await writeJson(ctx, { files: rows, trusted_paths: folders });
    return 0;
  }
  if (rows.length === 0 && folders.length === 0) {
    ctx.log.say("No trusted files (lmi trust PATH records one) and no LMI_TRUSTED_PATHS.");
    return 0;
  }
  const text = [
    ...rows.map((r) => `${r.state.padEnd(8)}  ${r.trusted_at}  ${shown(r.path)}`),
    ...folders.map((f) => `${"folder".padEnd(8)}  ${"LMI_TRUSTED_PATHS".padEnd(24)}  ${shown(f)}`),
  ];
  await ctx.deps.stdout.write(text.join("\n") + "\n");
  return 0;
}
