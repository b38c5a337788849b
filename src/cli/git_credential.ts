/**
 * `lmi git-credential get|store|erase`: git's credential-helper protocol
 * (https://git-scm.com/docs/git-credential#IOFMT). git writes `key=value` lines on stdin
 * (`protocol`, `host`, `path`, …) up to a blank line or the end; `get` answers `username`,
 * `password` (the env's access token) and `password_expiry_utc` on stdout for the env that covers
 * the URL (or `--env`), and nothing when none does, so git asks its next helper. `erase` drops that
 * env's cached token, `store` does nothing. Never prompts; input it cannot use is ignored, and a
 * path with dot or empty segments matches no env (credential_env.ts). More than 64 KiB on stdin is
 * a protocol error (helper_input.ts).
 *
 * @module
 */
import { tokenDir } from "../config/paths.ts";
import { pathAsWritten } from "../http/url.ts";
import { removeEnvCache } from "../tokens/cache.ts";
import { acquireToken } from "../tokens/acquire.ts";
import { envForTarget, type HelperTarget, helperUsername } from "./credential_env.ts";
import { MAX_HELPER_INPUT, readHelperInput } from "./helper_input.ts";
import type { CommandArgs, CommandContext } from "./spec.ts";

/** The operations of git's protocol; any other is ignored, as the protocol asks. */
export const GIT_ACTIONS = ["get", "store", "erase"] as const;
export type GitAction = typeof GIT_ACTIONS[number];

export interface GitCredentialOptions {
  /** Undefined: an operation lmi does not know (ignored). */
  action: GitAction | undefined;
}

/** The token handed to git stays valid at least this long (a clone or push takes a while). */
export const GIT_MIN_TTL_MS = 5 * 60_000;

/** Flags → options (no I/O). */
export function parseOptions(
  _flags: unknown,
  { positionals }: Pick<CommandArgs, "positionals">,
): GitCredentialOptions {
  const action = GIT_ACTIONS.find((a) => a === positionals[0]);
  return { action };
}

/**
 * git's attributes from its `key=value` lines, up to the first blank line. Lines without `=`,
 * and keys given twice (other than `key[]` lists) after the first, are ignored.
 */
export function parseGitAttributes(text: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const line of text.slice(0, MAX_HELPER_INPUT).split("\n")) {
    const l = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (l === "") break;
    const eq = l.indexOf("=");
    if (eq <= 0) continue;
    const key = l.slice(0, eq);
    if (!attrs.has(key)) attrs.set(key, l.slice(eq + 1));
  }
  return attrs;
}

/**
 * The URL git asks about, from `protocol`, `host` and `path` (or `url`, as people may write it).
 * Undefined when they do not make an http(s) URL.
 */
export function gitTarget(attrs: Map<string, string>): HelperTarget | undefined {
  const protocol = attrs.get("protocol");
  const host = attrs.get("host");
  if (protocol === undefined || host === undefined) {
    const written = attrs.get("url") ?? "";
    const url = URL.parse(written);
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || !url.host) return;
    const path = pathAsWritten(written);
    return { url: new URL(url.pathname, url.origin), path, hasPath: path !== "/" };
  }
  if (!/^https?$/.test(protocol) || host === "" || /[/?#@\\\s]/.test(host)) return undefined;
  const path = attrs.get("path") ?? "";
  const url = URL.parse(`${protocol}://${host}/`);
  if (!url || url.host === "") return undefined;
  if (path !== "") url.pathname = `/${path}`;
  return { url, path: `/${path}`, hasPath: path !== "" };
}

export async function run(options: GitCredentialOptions, ctx: CommandContext): Promise<number> {
  const input = await readHelperInput(ctx.deps);
  if (options.action === undefined || options.action === "store") return 0;
  const target = gitTarget(parseGitAttributes(input));
  if (!target) {
    ctx.log.info("git-credential: no http(s) protocol and host in the input; nothing to answer");
    return 0;
  }
  // Never offers a sign-in: git runs helpers without a terminal of their own.
  const helperCtx: CommandContext = { deps: ctx.deps, log: ctx.log, globals: ctx.globals };
  const env = await envForTarget(helperCtx, target);
  if (!env) return 0;
  if (options.action === "erase") {
    const dir = tokenDir(ctx.deps);
    const removed = dir ? await removeEnvCache(dir, env.name) : false;
    ctx.log.info(removed ? `removed env ${env.name}'s cached token` : "no cached token to remove");
    return 0;
  }
  const { token } = await acquireToken(env, helperCtx, { minTtlMs: GIT_MIN_TTL_MS });
  ctx.log.redactor.add(token.accessToken);
  const lines = [`username=${helperUsername(env)}`, `password=${token.accessToken}`];
  if (token.expiresAt !== undefined) {
    lines.push(`password_expiry_utc=${Math.floor(token.expiresAt / 1000)}`);
  }
  await ctx.deps.stdout.write(lines.join("\n") + "\n");
  return 0;
}
