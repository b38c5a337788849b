/**
 * The env as every caller uses it (CLI commands, plugins, the library): selected and resolved,
 * with the `[sso]` settings it needs, and its secret values registered for redaction.
 *
 * @module
 */
import type { Deps } from "../context.ts";
import type { Redactor } from "../ui/redact.ts";
import type { LoadedConfig } from "./load.ts";
import { type ResolvedEnv, resolveEnv } from "./resolve.ts";
import { withSso } from "./sso.ts";

/** Resolve the env named `name` (or selected by LMI_ENV / default_env) for use. */
export function envForUse(
  deps: Pick<Deps, "env" | "cwd">,
  config: LoadedConfig,
  name: string | undefined,
  redactor: Redactor,
  /** A name given as a command's argument (it wins over `name`, the --env flag). */
  argument?: string,
): ResolvedEnv {
  const env = withSso(deps, config, resolveEnv(deps, config, name, argument));
  registerEnvSecrets(redactor, env);
  return env;
}

/** Make sure the env's secret values are redacted from anything printed. */
export function registerEnvSecrets(redactor: Redactor, env: ResolvedEnv): void {
  const { clientSecret, password, privateKey, clientCert } = env.auth;
  for (const ref of [clientSecret, password, privateKey, clientCert?.key]) {
    redactor.add(ref?.value);
  }
  redactor.add(env.sso?.clientSecret?.value);
}
