/**
 * `auth.type = "command"`: a credential process prints the token. Its stdout is either the token
 * itself or JSON with `access_token` (and optionally `token_type`, `expires_in` or `expires_at`).
 * Its stderr reaches the user (helpers may explain); it runs with the env's timeout, in a process
 * group of its own that is killed whole when the timeout passes (./helper_process.ts). The token
 * and its type are checked as an IdP's are (src/oauth/token_characters.ts). The helper keeps its
 * own cache, so lmi does not cache these tokens.
 *
 * @module
 */
import { dirname, isAbsolute, resolve } from "../util/path.ts";
import { findOnPath } from "../util/find_program.ts";
import type { ResolvedEnv } from "../config/resolve.ts";
import { AuthError, ConfigError, NetworkError, q } from "../errors.ts";
import { formatDuration } from "../config/duration.ts";
import { formatBytes } from "../config/small_file.ts";
import { unusableToken } from "../oauth/token_characters.ts";
import type { Logger } from "../ui/log.ts";
import { runHelper } from "./helper_process.ts";
import type { TokenOutcome } from "./service.ts";
import { jwtExpiry } from "./token_set.ts";

/**
 * The program `auth.command` names, as lmi runs it: a path (`bin/get-token`, `./x`) relative to
 * the config file's folder, never the current one (git runs lmi in whatever repository the user
 * is in, and that repository must not supply the program); a bare name from PATH's absolute
 * folders (src/util/find_program.ts).
 */
export function commandPath(
  env: Pick<ResolvedEnv, "configPath" | "name">,
  program: string,
  deps: { env(name: string): string | undefined; os: typeof Deno.build.os },
): string {
  if (/[\\/]/.test(program)) {
    return isAbsolute(program) ? program : resolve(dirname(env.configPath ?? "/"), program);
  }
  const found = findOnPath(deps, program);
  if (found) return found;
  throw new ConfigError(
    "COMMAND_NOT_FOUND",
    `cannot run auth.command ${q(program)}: not found on PATH (env ${q(env.name)})`,
    {
      hint: "install it, or give its path in command (relative paths start at the config " +
        "file's folder); PATH entries that are not absolute are not searched",
    },
  );
}

/** What a helper may print (a JSON example here would be redacted as a token answer). */
const OUTPUT_HINT =
  "print the token alone on stdout, or a JSON object with access_token (and expires_in or expires_at)";

export async function commandToken(
  env: ResolvedEnv,
  ctx: {
    log: Logger;
    now(): number;
    os: typeof Deno.build.os;
    env(name: string): string | undefined;
  },
): Promise<TokenOutcome> {
  const [program, ...args] = env.auth.command ?? [];
  if (!program) {
    throw new ConfigError(
      "CONFIG_INCOMPLETE",
      `env ${q(env.name)} has auth.type "command" but no auth.command`,
      {
        hint: `set command = ["program", "arg"] in [envs.${env.name}.auth]`,
      },
    );
  }
  const run = await runHelper(commandPath(env, program, ctx), args, {
    timeoutMs: env.timeoutMs,
    os: ctx.os,
  });
  if (run.kind === "not-started") {
    const err = run.error;
    throw new ConfigError(
      "COMMAND_NOT_FOUND",
      `cannot run auth.command ${q(program)}: ${err instanceof Error ? err.message : err}`,
      {
        hint: `check [envs.${env.name}.auth] command and PATH`,
      },
    );
  }
  if (run.kind === "timed-out") {
    throw new NetworkError(
      "COMMAND_TIMEOUT",
      `auth.command ${q(program)} timed out after ${
        formatDuration(env.timeoutMs)
      } (the env's timeout)`,
      {
        hint: `raise [envs.${env.name}] timeout, or make the command end; a process it leaves ` +
          "running must not keep its stdout open",
      },
    );
  }
  if (run.kind === "too-much-output") {
    throw new AuthError(
      "COMMAND_BAD_OUTPUT",
      `auth.command ${q(program)} printed more than ${
        formatBytes(run.limit)
      } on stdout; it was stopped`,
      { hint: OUTPUT_HINT },
    );
  }
  const out = run.status;
  if (!out.success) {
    throw new AuthError(
      "COMMAND_FAILED",
      `auth.command ${q(program)} ${
        out.signal ? `was stopped (${out.signal})` : `exited with ${out.code}`
      }`,
      { hint: "see its message above" },
    );
  }
  const text = new TextDecoder().decode(run.stdout).trim();
  const now = ctx.now();
  let accessToken = text;
  let tokenType = "Bearer";
  let expiresAt: number | undefined;
  if (text.startsWith("{")) {
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new AuthError("COMMAND_BAD_OUTPUT", `auth.command ${q(program)} printed invalid JSON`, {
        hint: OUTPUT_HINT,
      });
    }
    accessToken = String(doc.access_token ?? doc.token ?? "");
    if (typeof doc.token_type === "string") tokenType = doc.token_type;
    if (typeof doc.expires_in === "number") expiresAt = now + doc.expires_in * 1000;
    else if (typeof doc.expires_at === "string" && !Number.isNaN(Date.parse(doc.expires_at))) {
      expiresAt = Date.parse(doc.expires_at);
    }
  }
  if (!accessToken) {
    throw new AuthError(
      "COMMAND_BAD_OUTPUT",
      `auth.command ${q(program)} printed no usable token`,
      {
        hint: OUTPUT_HINT,
      },
    );
  }
  // The rule for IdP tokens: nothing that cannot go safely into a header or the printed formats.
  const unusable = unusableToken(accessToken, tokenType);
  if (unusable) {
    throw new AuthError(
      "COMMAND_BAD_OUTPUT",
      `the output of auth.command ${
        q(program)
      } is unusable: its ${unusable.field} contains ${unusable.what}`,
      {
        hint:
          "lmi refuses tokens it cannot send safely in an HTTP header; fix what the command prints",
      },
    );
  }
  ctx.log.redactor.add(accessToken);
  expiresAt ??= jwtExpiry(accessToken);
  const token = {
    accessToken,
    tokenType,
    obtainedAt: now,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
  return { token, from: "grant", cached: false };
}
