/**
 * Steps shared by commands: resolving the config and env from the flags, and writing JSON.
 *
 * @module
 */
import { loadConfig, type LoadedConfig } from "../config/load.ts";
import type { ResolvedEnv } from "../config/resolve.ts";
import { envForUse } from "../config/env.ts";
import type { CommandContext } from "./spec.ts";

/** Load the config file named by the flags / environment. */
export function configFor(
  ctx: Pick<CommandContext, "deps" | "globals" | "log">,
): Promise<LoadedConfig> {
  return loadConfig(ctx.deps, ctx.globals.config, (m) => ctx.log.warnOnce(m, m));
}

/** Load the config and resolve the env selected by --env / LMI_ENV / default_env. */
export async function envFor(
  ctx: Pick<CommandContext, "deps" | "globals" | "log">,
  /** An env named as the command's argument (it wins over --env). */
  argument?: string,
): Promise<{ config: LoadedConfig; env: ResolvedEnv }> {
  const config = await configFor(ctx);
  return {
    config,
    env: envForUse(ctx.deps, config, ctx.globals.env, ctx.log.redactor, argument),
  };
}

/** Write a JSON document to stdout. */
export async function writeJson(ctx: Pick<CommandContext, "deps">, value: unknown): Promise<void> {
  await ctx.deps.stdout.write(JSON.stringify(value, null, 2) + "\n");
}
