/**
 * `lmi logout [--env NAME | --all]`: delete cached service tokens.
 *
 * @module
 */
import { tokenDir } from "../config/paths.ts";
import { selectEnvName } from "../config/resolve.ts";
import { q, UsageError } from "../errors.ts";
import { envFiles, removeIfExists } from "../tokens/files.ts";
import { acquireLock } from "../tokens/lock.ts";
import { configFor } from "./common.ts";
import type { CommandContext } from "./spec.ts";

/** Delete one env's cached token (under its lock) and JWKS; true when a token was there. */
export async function removeEnvToken(dir: string, env: string): Promise<boolean> {
  const files = envFiles(dir, env);
  let lock;
  try {
    lock = await acquireLock(files.lock, {
      what: `logging out of env ${q(env)}`,
      timeoutMs: 30_000,
    });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
  try {
    const removed = await removeIfExists(files.token);
    await removeIfExists(files.jwks);
    return removed;
  } finally {
    lock.release();
  }
}

export async function run(ctx: CommandContext): Promise<number> {
  const all = ctx.flags.all === true;
  if (all && ctx.globals.env !== undefined) {
    throw new UsageError("BAD_ARGUMENTS", "--all and --env cannot be used together", {
      hint: "lmi logout --env NAME, or lmi logout --all",
    });
  }
  const dir = tokenDir(ctx.deps);
  if (all) {
    const names = dir ? await cachedEnvNames(dir) : [];
    for (const name of names) await removeEnvToken(dir!, name);
    ctx.log.say(
      names.length
        ? `Removed cached tokens of ${names.map((n) => q(n)).join(", ")}`
        : "No cached tokens",
    );
    return 0;
  }
  const config = await configFor(ctx);
  const { name } = selectEnvName(ctx.deps, config, ctx.globals.env);
  const removed = dir ? await removeEnvToken(dir, name) : false;
  ctx.log.say(
    removed ? `Removed the cached token of env ${q(name)}` : `No cached token for env ${q(name)}`,
  );
  return 0;
}

async function cachedEnvNames(dir: string): Promise<string[]> {
  try {
    const entries: string[] = [];
    for await (const entry of Deno.readDir(dir)) if (entry.isFile) entries.push(entry.name);
    return entries.filter((f) => f.endsWith(".json") && !f.endsWith(".jwks.json")).map((f) =>
      f.slice(0, -5)
    ).sort();
  } catch {
    return [];
  }
}
