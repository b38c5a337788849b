/**
 * `lmi env list [--json]`: environments, their auth type and token state; with --json also the
 * config's SSO providers (`sso_providers`: name, issuer, client id), which the shell completions
 * read for `lmi login sso NAME`.
 *
 * @module
 */
import { whereLooked } from "../config/no_config.ts";
import { listEnvNames, resolveNamedEnv, selectEnvName } from "../config/resolve.ts";
import { describeState, inspectServiceToken, type TokenState } from "../tokens/inspect.ts";
import { ssoProviderNames } from "../config/sso.ts";
import { configFor, writeJson } from "./common.ts";
import type { CommandContext, NoOptions } from "./spec.ts";

/** An SSO provider as `env list --json` lists it (read from the file: nothing is checked). */
interface ProviderRow {
  name: string;
  issuer: string | null;
  client_id: string | null;
}

interface Row {
  name: string;
  selected: boolean;
  auth_type: string;
  base_url: string | null;
  defined_by: string;
  token: TokenState;
}

export { noOptions as parseOptions } from "./spec.ts";

export async function run(_options: NoOptions, ctx: CommandContext): Promise<number> {
  const config = await configFor(ctx);
  const selected = selectEnvName(ctx.deps, config, ctx.globals.env).name;
  const rows: Row[] = [];
  for (const name of listEnvNames(ctx.deps, config)) {
    const env = resolveNamedEnv(ctx.deps, config, name);
    rows.push({
      name,
      selected: name === selected,
      auth_type: env.auth.type,
      base_url: env.baseUrl ?? null,
      defined_by: env.definedBy === "file" ? env.configPath! : "environment variables",
      token: await inspectServiceToken(env, ctx),
    });
  }
  if (ctx.globals.json) {
    const providers = ssoProviderNames(config).map((name): ProviderRow => ({
      name,
      issuer: config.file.sso?.[name]?.issuer ?? null,
      client_id: config.file.sso?.[name]?.client_id ?? null,
    }));
    // sso_providers last: the completion scripts find each list by its first and last line.
    await writeJson(ctx, { config: config.path ?? null, envs: rows, sso_providers: providers });
    return 0;
  }
  if (rows.length === 0) {
    ctx.log.say(
      `No environments: ${
        config.path ? `${config.path} defines none` : whereLooked(config.searched)
      }.\n` +
        "Define one in lmi.toml ([envs.NAME]; lmi init writes a starter one) or with LMI_ISSUER / " +
        "LMI_TOKEN_URL and LMI_CLIENT_ID.",
    );
    return 0;
  }
  const table = [
    ["", "NAME", "AUTH", "BASE URL", "TOKEN"],
    ...rows.map((
      r,
    ) => [r.selected ? "*" : "", r.name, r.auth_type, r.base_url ?? "-", describeState(r.token)]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const text = table.map((row) =>
    row.map((c, i) => i === row.length - 1 ? c : c.padEnd(widths[i]!)).join("  ").trimEnd()
  )
    .join("\n");
  await ctx.deps.stdout.write(text + "\n");
  return 0;
}
