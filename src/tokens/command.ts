/**
 * `auth.type = "command"`: a credential process prints the token. Its stdout is either the token
 * itself or JSON with `access_token` (and optionally `token_type`, `expires_in` or `expires_at`).
 * Its stderr reaches the user (helpers may explain or ask); it runs with the env's timeout. The
 * helper keeps its own cache, so lmi does not cache these tokens.
 *
 * @module
 */
import type { ResolvedEnv } from "../config/resolve.ts";
import { AuthError, ConfigError, q } from "../errors.ts";
import { formatDuration } from "../config/duration.ts";
import type { Logger } from "../ui/log.ts";
import type { TokenOutcome } from "./service.ts";
import { jwtExpiry } from "./token_set.ts";

export async function commandToken(
  env: ResolvedEnv,
  ctx: { log: Logger; now(): number },
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
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, { args, stdin: "null", stdout: "piped", stderr: "inherit" })
      .spawn();
  } catch (err) {
    throw new ConfigError(
      "COMMAND_NOT_FOUND",
      `cannot run auth.command ${q(program)}: ${err instanceof Error ? err.message : err}`,
      {
        hint: `check [envs.${env.name}.auth] command and PATH`,
      },
    );
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, env.timeoutMs);
  const out = await child.output().finally(() => clearTimeout(timer));
  if (!out.success) {
    throw new AuthError(
      "COMMAND_FAILED",
      `auth.command ${q(program)} ${
        out.signal ? `was stopped (${out.signal})` : `exited with ${out.code}`
      }`,
      {
        hint: out.signal
          ? `it ran longer than the env's timeout (${formatDuration(env.timeoutMs)})`
          : "see its message above",
      },
    );
  }
  const text = new TextDecoder().decode(out.stdout).trim();
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
        hint: 'print the token alone, or JSON like {"access_token": "…", "expires_in": 3600}',
      });
    }
    accessToken = String(doc.access_token ?? doc.token ?? "");
    if (typeof doc.token_type === "string") tokenType = doc.token_type;
    if (typeof doc.expires_in === "number") expiresAt = now + doc.expires_in * 1000;
    else if (typeof doc.expires_at === "string" && !Number.isNaN(Date.parse(doc.expires_at))) {
      expiresAt = Date.parse(doc.expires_at);
    }
  }
  if (!accessToken || /\s/.test(accessToken)) {
    throw new AuthError(
      "COMMAND_BAD_OUTPUT",
      `auth.command ${q(program)} printed no usable token`,
      {
        hint: 'print the token alone on stdout, or JSON like {"access_token": "…"}',
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
