/**
 * What every benchmark row runs against: a private temporary home with an lmi.toml, the dev IdP
 * (scripts/dev_idp) and the loopback bench API, and the command lines of lmi (exactly as users
 * run it from source) and of bare Deno (an empty script).
 *
 * @module
 */
import { join } from "node:path";
import { type DevIdp, type DevIdpOptions, startDevIdp } from "../dev_idp/mod.ts";
import { jwtVerifier } from "../dev_idp/keys.ts";
import { childEnv } from "../child_env.ts";
import { lmiCommand } from "../run_lmi.ts";
import { type BenchApi, startBenchApi } from "./api.ts";
import { type Cmd, ok, run } from "./proc.ts";

export const ENV_NAME = "bench";

export interface Site {
  idp: DevIdp;
  api: BenchApi;
  close(): Promise<void>;
}

/** The dev IdP and a bench API that accepts its tokens. */
export async function startSite(options: DevIdpOptions = {}): Promise<Site> {
  const idp = await startDevIdp(options);
  try {
    const api = await startBenchApi(jwtVerifier(idp.issuer, idp.jwksUri, idp.resource));
    return {
      idp,
      api,
      close: async () => {
        await api.close();
        await idp.close();
      },
    };
  } catch (err) {
    await idp.close();
    throw err;
  }
}

/** An env table for the site's client_credentials client (secret in SVC_SECRET). */
export function envToml(site: Site, extraAuth = ""): string {
  return `default_env = "${ENV_NAME}"

[envs.${ENV_NAME}]
base_url = "${site.api.url}"

[envs.${ENV_NAME}.auth]
type = "client_credentials"
issuer = "${site.idp.issuer}"
client_id = "${site.idp.clients.basic.id}"
client_secret_env = "SVC_SECRET"
${extraAuth}`;
}

export interface World {
  dir: string;
  /** The children's HOME and working directory; lmi.toml lives here. */
  home: string;
  /** LMI_CACHE_DIR of the children. */
  cacheDir: string;
  /** Room for temporary files (GNU time's output). */
  scratch: string;
  site: Site;
  configPath: string;
  /** The children's whole environment. */
  env: Record<string, string>;
  /** `deno run --quiet` of an empty file: the baseline of the start-up rows. */
  bare: Cmd;
  lmi(args: string[]): Cmd;
  /** A valid access token from the cache (filled by a first, cold `lmi auth token`). */
  token: string;
  /** Empties the token cache (the next lmi call is cold). */
  clearCache(): Promise<void>;
  /** Run `cleanup` on close() unless it was dropped (a helper process, a second IdP). */
  onClose(cleanup: () => Promise<void>): { drop(): void };
  /** Runs the pending cleanups, stops the IdP and the API, removes the folder. Idempotent. */
  close(): Promise<void>;
}

export async function createWorld(): Promise<World> {
  const dir = await Deno.makeTempDir({ prefix: "lmi-bench-" });
  const home = join(dir, "home");
  const cacheDir = join(dir, "cache");
  const scratch = join(dir, "scratch");
  await Deno.mkdir(home, { recursive: true });
  await Deno.mkdir(scratch, { recursive: true });
  let site: Site;
  try {
    site = await startSite();
  } catch (err) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
  const configPath = join(home, "lmi.toml");
  await Deno.writeTextFile(configPath, envToml(site));
  const empty = join(dir, "empty.ts");
  await Deno.writeTextFile(empty, "");
  const env = childEnv({
    home,
    vars: {
      LMI_CACHE_DIR: cacheDir,
      SVC_SECRET: site.idp.clients.basic.secret,
      NO_COLOR: "1",
    },
  });
  const cleanups = new Set<() => Promise<void>>();
  let closed: Promise<void> | undefined;
  const world: World = {
    dir,
    home,
    cacheDir,
    scratch,
    site,
    configPath,
    env,
    bare: { cmd: Deno.execPath(), args: ["run", "--quiet", empty] },
    lmi: lmiCommand,
    token: "",
    clearCache: () => Deno.remove(cacheDir, { recursive: true }).catch(() => {}),
    onClose(cleanup) {
      cleanups.add(cleanup);
      return { drop: () => cleanups.delete(cleanup) };
    },
    close: () =>
      closed ??= (async () => {
        await Promise.allSettled([...cleanups].map((c) => c()));
        await site.close();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      })(),
  };
  try {
    // As a user would: the discovered config trusted with lmi trust, so every measured run
    // checks it against the trust record (src/config/trust.ts).
    ok(
      await run({ ...lmiCommand(["trust"]), env, cwd: home, stdout: "piped" }),
      "lmi trust",
    );
    const first = ok(
      await run({ ...lmiCommand(["auth", "token"]), env, cwd: home, stdout: "piped" }),
      "the first lmi auth token",
    );
    world.token = first.stdout.trim();
  } catch (err) {
    await world.close();
    throw err;
  }
  return world;
}
