/**
 * `lmi docker-credential get|list|store|erase`, also run when the program is invoked as
 * `docker-credential-lmi`: Docker's credential-helper protocol
 * (https://github.com/docker/docker-credential-helpers). `get` reads a server URL on stdin and
 * prints `{"ServerURL","Username","Secret"}` for the env whose base_url covers it (or `--env`);
 * `list` prints `{base_url: username}` for every env with a base_url; `erase` drops the env's
 * cached token; `store` reads Docker's JSON and keeps nothing (lmi's tokens come from the IdP).
 *
 * @module
 */
import { tokenDir } from "../config/paths.ts";
import { ExitCode, q, UsageError } from "../errors.ts";
import { pathAsWritten } from "../http/url.ts";
import { acquireToken } from "../tokens/acquire.ts";
import { removeEnvCache } from "../tokens/cache.ts";
import {
  envForTarget,
  envsWithBaseUrl,
  type HelperTarget,
  helperUsername,
} from "./credential_env.ts";
import { readHelperInput } from "./helper_input.ts";
import type { CommandArgs, CommandContext } from "./spec.ts";

export const DOCKER_ACTIONS = ["get", "list", "store", "erase"] as const;
export type DockerAction = typeof DOCKER_ACTIONS[number];

/** What Docker expects on stdout when a helper has nothing for a server (then it goes anonymous). */
export const NOT_FOUND = "credentials not found in native keychain";

/** The token handed to Docker stays valid at least this long (a pull of large layers). */
export const DOCKER_MIN_TTL_MS = 5 * 60_000;

export interface DockerCredentialOptions {
  action: DockerAction;
}

/** Flags → options (no I/O). */
export function parseOptions(
  _flags: unknown,
  { positionals }: Pick<CommandArgs, "positionals">,
): DockerCredentialOptions {
  const action = DOCKER_ACTIONS.find((a) => a === positionals[0]);
  if (action === undefined) {
    throw new UsageError("BAD_ARGUMENTS", `unknown operation ${q(positionals[0])}`, {
      hint: `operations: ${DOCKER_ACTIONS.join(", ")}`,
    });
  }
  return { action };
}

/**
 * The server Docker asks about (`registry.example.com`, `https://index.docker.io/v1/`); a name
 * without a scheme is https. Undefined when it is no http(s) URL.
 */
export function dockerTarget(text: string): HelperTarget | undefined {
  const server = text.trim();
  if (server === "" || /\s/.test(server)) return undefined;
  const written = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `https://${server}`;
  const url = URL.parse(written);
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.host === "") return;
  if (url.username !== "" || url.password !== "") return undefined;
  const path = pathAsWritten(written);
  return { url: new URL(url.pathname, url.origin), path, hasPath: path !== "/" };
}

export async function run(options: DockerCredentialOptions, ctx: CommandContext): Promise<number> {
  // Never offers a sign-in: Docker runs helpers without a terminal of their own.
  const helperCtx: CommandContext = { deps: ctx.deps, log: ctx.log, globals: ctx.globals };
  const input = options.action === "list" ? "" : await readHelperInput(ctx.deps);
  switch (options.action) {
    case "store":
      return ExitCode.ok;
    case "list": {
      const listing: Record<string, string> = {};
      for (const env of await envsWithBaseUrl(helperCtx) ?? []) {
        listing[env.baseUrl!] ??= helperUsername(env);
      }
      await ctx.deps.stdout.write(JSON.stringify(listing) + "\n");
      return ExitCode.ok;
    }
    case "get":
    case "erase": {
      const target = dockerTarget(input.split("\n")[0] ?? "");
      const env = target ? await envForTarget(helperCtx, target) : undefined;
      if (!env) {
        await ctx.deps.stdout.write(`${NOT_FOUND}\n`);
        return ExitCode.failed;
      }
      if (options.action === "erase") {
        const dir = tokenDir(ctx.deps);
        const removed = dir ? await removeEnvCache(dir, env.name) : false;
        ctx.log.info(removed ? `removed env ${env.name}'s cached token` : "no cached token");
        return ExitCode.ok;
      }
      const { token } = await acquireToken(env, helperCtx, { minTtlMs: DOCKER_MIN_TTL_MS });
      ctx.log.redactor.add(token.accessToken);
      const answer = {
        ServerURL: input.split("\n")[0]!.trim(),
        Username: helperUsername(env),
        Secret: token.accessToken,
      };
      await ctx.deps.stdout.write(JSON.stringify(answer) + "\n");
      return ExitCode.ok;
    }
  }
}
