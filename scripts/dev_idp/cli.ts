/**
 * The command line, `deno task dev-idp` (scripts/dev_idp/mod.ts run on its own): serves the IdP,
 * its demo API and its CI issuer on 127.0.0.1 at fixed ports until SIGINT or SIGTERM, says in
 * words (or with --json, as JSON) what they offer, and with --write-config writes a ready lmi
 * config for them. Exit 0 when stopped by a signal, 1 when a port is taken or the config cannot
 * be written, 2 for a usage error.
 *
 * @module
 */
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  configSource,
  FileExistsError,
  lmiConfigFiles,
  writeLmiConfig,
  type WrittenConfig,
} from "./lmi_config.ts";
import { MAX_PORT, PortInUseError } from "./ports.ts";
import { startDevIdp } from "./start.ts";
import { summary } from "./summary.ts";
import type { DevIdp, DevIdpOptions } from "./types.ts";

/** The IdP's port unless --port says otherwise; the API's is the next, the CI issuer's the next. */
export const DEFAULT_PORT = 9400;

const USAGE_LINE = `usage: deno task dev-idp [--port N] [--write-config DIR] [--json]
                         [--access-token-ttl SECONDS] [--discovery oidc|oauth]`;

const USAGE = `${USAGE_LINE}

Serves lmi's development identity provider (OpenID Connect, oidc-provider) and a demo API that
accepts its tokens, on 127.0.0.1, until Ctrl-C.

  --port N                     the IdP on port N, the API on N+1, the CI issuer on N+2
                               (default ${DEFAULT_PORT})
  --write-config DIR           write DIR/lmi.toml and DIR/.env (its secrets, mode 0600) for lmi;
                               files there with other content are left alone (exit 1)
  --json                       print the addresses, clients and users as JSON, for scripts
  --access-token-ttl SECONDS   lifetime of access tokens (default 3600)
  --discovery oidc|oauth       oidc (default): OpenID Connect and RFC 8414 discovery;
                               oauth: RFC 8414 only
  -h, --help                   this help`;

/** This clone's deno.json (the `lmi` task runs lmi from it). */
const DENO_JSON = fileURLToPath(new URL("../../deno.json", import.meta.url));

interface Options {
  idp: DevIdpOptions & { port: number };
  json: boolean;
  /** Absolute. */
  writeConfig?: string;
}

class UsageError extends Error {}

/** Runs the IdP with the options in `args` until a signal stops it; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let options: Options | "help";
  try {
    options = parse(args, Deno.env.get("INIT_CWD") ?? Deno.cwd());
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`dev-idp: error: ${err.message}\n${USAGE_LINE}\n(--help for more)`);
    return 2;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }

  // Listen for signals before starting, so that an early one still stops cleanly.
  const stop = Promise.withResolvers<void>();
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM"];
  const onSignal = () => stop.resolve();
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  try {
    let idp: DevIdp;
    try {
      idp = await startDevIdp(options.idp);
    } catch (err) {
      if (!(err instanceof PortInUseError)) throw err;
      console.error(
        `dev-idp: error: ${err.message}; choose other ports with --port N (it uses N, N+1, N+2)`,
      );
      return 1;
    }
    const files = lmiConfigFiles(configSource(idp));
    let written: WrittenConfig | undefined;
    if (options.writeConfig !== undefined) {
      try {
        written = await writeLmiConfig(options.writeConfig, files);
      } catch (err) {
        await idp.close();
        console.error(
          err instanceof FileExistsError
            ? `dev-idp: error: ${err.message}; not overwritten: remove it or write elsewhere`
            : `dev-idp: error: cannot write the config to ${options.writeConfig}: ${errText(err)}`,
        );
        return 1;
      }
    }
    console.log(
      options.json ? json(idp, options, written) : summary(idp, {
        ...(written
          ? { written: { ...written, dir: options.writeConfig!, envs: files.envs } }
          : {}),
        denoJson: DENO_JSON,
      }).trimEnd(),
    );
    await stop.promise;
    await idp.close();
    return 0;
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  }
}

/** The old machine-readable description: the handle's data, discovery and the written files. */
function json(idp: DevIdp, options: Options, written: WrittenConfig | undefined): string {
  const { stats: _stats, faults: _faults, api: _api, ...details } = idp;
  return JSON.stringify(
    {
      ...details,
      discovery: {
        openid: options.idp.discovery === "oauth"
          ? null
          : `${idp.issuer}/.well-known/openid-configuration`,
        oauth: `${idp.issuer}/.well-known/oauth-authorization-server`,
      },
      authorizationUrl: `${idp.issuer}/auth`,
      deviceAuthorizationUrl: `${idp.issuer}/device/auth`,
      ...(written ? { lmiConfig: { toml: written.toml, dotenv: written.dotenv } } : {}),
    },
    null,
    2,
  );
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The options in `args`; a relative --write-config folder is taken from `cwd`. */
function parse(args: string[], cwd: string): Options | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: "string" },
        "write-config": { type: "string" },
        json: { type: "boolean" },
        "access-token-ttl": { type: "string" },
        discovery: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    throw new UsageError(errText(err));
  }
  if (values.help) return "help";
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!/^\d+$/.test(values.port ?? "0") || port < 1 || port > MAX_PORT) {
    throw new UsageError(`--port: expected a port from 1 to ${MAX_PORT}, got ${values.port}`);
  }
  const options: Options = { idp: { port }, json: values.json === true };
  const ttl = values["access-token-ttl"];
  if (ttl !== undefined) {
    if (!/^[1-9]\d*$/.test(ttl)) {
      throw new UsageError(`--access-token-ttl: expected a number of seconds, got ${ttl}`);
    }
    options.idp.accessTokenTtl = Number(ttl);
  }
  const discovery = values.discovery;
  if (discovery !== undefined) {
    if (discovery !== "oidc" && discovery !== "oauth") {
      throw new UsageError(`--discovery: expected oidc or oauth, got ${discovery}`);
    }
    options.idp.discovery = discovery;
  }
  const dir = values["write-config"];
  if (dir !== undefined) {
    if (dir === "") throw new UsageError("--write-config: expected a folder");
    options.writeConfig = isAbsolute(dir) ? dir : resolve(join(cwd, dir));
  }
  return options;
}
