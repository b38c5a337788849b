/**
 * The warm `lmi auth token`: a fresh cached service token that verifies against the cached keys,
 * printed without loading the rest of the program. main.ts runs this first, bundled into one
 * module (src/cli/warm.bundle.js, built by `deno task bundle`), because reading and compiling
 * the program's modules was most of the warm path's time.
 *
 * It answers exactly as the full program would (the same modules decide: the flags, the config,
 * the cache entry, its verification, the output format) or it declines, returning undefined
 * before writing anything, and main.ts starts the full program, which knows nothing of this
 * attempt. It declines whenever the full program would do more than print the token: another
 * command, -v, --force, --format github, an env that needs SSO, DPoP or another token source, no
 * fresh verified token (the full program then takes the lock, refreshes or requests one), keys
 * that must be fetched, any warning, any error. In the bundle it also declines whatever needs an
 * npm package (src/cli/warm_deps.ts): a config file not parsed before, a token without a matching
 * signature memo, or no key of lmi's caches yet (src/util/cache_key.ts: it never makes one). Run
 * from the sources (tests, the compiled binary's entry point) it may parse the config itself and,
 * when the key exists, write the parsed-config cache (src/config/parsed_cache.ts), as the full
 * program would; that is its only side effect.
 *
 * @module
 */
import type { Deps, Output } from "../context.ts";
import { realDeps } from "../real_deps.ts";
import { type CacheKey, readOnlyKey } from "../util/cache_key.ts";
import { tokenDir } from "../config/paths.ts";
import { createLogger } from "../ui/log.ts";
import { Redactor } from "../ui/redact.ts";
import { formatToken } from "../ui/token_output.ts";
import { TokenCache } from "../tokens/cache.ts";
import { cachedServiceToken, SERVICE_TYPES } from "../tokens/quick.ts";
import { fingerprint } from "../tokens/token_set.ts";
import { createVerifier } from "../tokens/verify.ts";
import { parseInvocation } from "./args.ts";
import { execApiVersion, parseOptions } from "./auth_token.ts";
import { envFor } from "./common.ts";
import { programArgs, programNames } from "./program_name.ts";
import { makeLogger, reportError } from "./report.ts";
import type { AUTH_TOKEN_OPTIONS, Flags, GlobalFlags } from "./spec.ts";

/**
 * What main.ts does next: exit with `code`, or, when it is undefined, run the full program with
 * `cacheKey`, the key of lmi's caches as this run read it (so its file is read once a process).
 */
export interface WarmOutcome {
  code: number | undefined;
  cacheKey: CacheKey;
}

/** The warm path as main.ts runs it: the process's arguments and the real world. */
export async function warmProgram(): Promise<WarmOutcome> {
  const deps = realDeps();
  const code = await warmMain(programArgs(Deno.args, programNames()), deps);
  return { code, cacheKey: deps.cacheKey };
}

/**
 * Serve `lmi auth token` from the cache: the exit code, or undefined when the full program must
 * run (nothing has been written then). The cache key is only read: without one, it declines.
 */
export async function warmMain(args: string[], deps: Deps): Promise<number | undefined> {
  let answer: Answer | undefined;
  try {
    answer = await warmAnswer(args, { ...deps, cacheKey: readOnlyKey(deps.cacheKey) });
  } catch {
    return undefined;
  }
  if (!answer) return undefined;
  try {
    await deps.stdout.write(answer.text);
    return 0;
  } catch (err) {
    // As the CLI edge reports a failed write of the token (src/cli/main.ts).
    const log = makeLogger(deps, answer.redactor, answer.globals);
    const code = reportError(err, log);
    await log.flush();
    return code;
  }
}

interface Answer {
  text: string;
  redactor: Redactor;
  globals: GlobalFlags;
}

/** Not used here: the keys must be fetched, which is the full program's work. */
const noNetwork = () => Promise.reject(new Error("the warm path does not fetch"));

async function warmAnswer(args: string[], deps: Deps): Promise<Answer | undefined> {
  const inv = parseInvocation(args);
  if (inv.kind !== "command" || inv.spec.path.join(" ") !== "auth token") return undefined;
  const { globals } = inv;
  if (globals.verbose > 0) return undefined;
  const options = parseOptions(inv.flags as Flags<typeof AUTH_TOKEN_OPTIONS>, inv);
  if (options.force || options.format === "github") return undefined;

  // A logger that prints nothing but notes that something would have been said: then the full
  // program runs and says it.
  let said = false;
  const stderr: Output = {
    write: () => {
      said = true;
      return Promise.resolve();
    },
    isTerminal: false,
    pipeFrom: () => Promise.reject(new Error("not here")),
  };
  const redactor = new Redactor();
  const log = createLogger({ level: 0, color: false, stderr, redactor });
  const ctx = { deps, log, globals };

  const { env } = await envFor(ctx);
  const auth = env.auth;
  if (env.requiresSso || auth.dpop) return undefined;
  if (!(SERVICE_TYPES as readonly string[]).includes(auth.type)) return undefined;
  const dir = tokenDir(deps);
  if (!dir) return undefined;
  const cache = new TokenCache(dir, env.name);
  const outcome = await cachedServiceToken(
    env,
    { deps, log },
    cache,
    fingerprint(auth),
    { minTtlMs: options.minTtlMs },
    {
      verifier: () =>
        createVerifier({
          path: cache.files.jwks,
          configIssuer: auth.issuer,
          cacheKey: deps.cacheKey,
          now: deps.now,
          log,
          issuerKeys: noNetwork,
          fetchJwks: noNetwork,
        }),
    },
  );
  await log.flush();
  if (!outcome || said) return undefined;
  const text = formatToken(outcome.token, options.format, env.name, execApiVersion(ctx));
  return { text, redactor, globals };
}
