/**
 * `lmi init [--issuer URL] [--client-id ID] [--type TYPE] [--env NAME]`: a starter config from
 * the IdP itself. Reads the issuer's discovery document, checks that the IdP offers the grant
 * asked for and a client authentication lmi can use, writes the env to `./lmi.toml` (or the file
 * `--config` / `LMI_CONFIG` names), or appends it to one the user trusts, records the bytes
 * written as trusted, and says the next command to run. In a terminal it asks for what the
 * flags do not give; elsewhere `--issuer`, `--client-id` and `--type` are needed (exit 2).
 *
 * parse (flags) → resolve (the target file, the IdP's offer, the answers) → act (write, trust)
 * → render (what was written and what to do next).
 *
 * @module
 */
import { endpointUrlProblem } from "../config/endpoint_url.ts";
import { findConfig, parseConfigText } from "../config/load.ts";
import { DEFAULT_PROVIDER, DEFAULT_SSO_SCOPES } from "../config/sso.ts";
import { ENV_NAME, ENV_NAME_HINT } from "../config/schema.ts";
import { canonicalPath } from "../config/trust.ts";
import { ConfigError, FailedError, q, UsageError } from "../errors.ts";
import { assertSecureEndpoint } from "../http/transport.ts";
import type { IdpMetadata } from "../oauth/client.ts";
import { isInteractive } from "../ui/interactive.ts";
import { visible } from "../ui/text.ts";
import { sameIssuer } from "../util/issuer.ts";
import { dirname, join } from "../util/path.ts";
import { writeJson } from "./common.ts";
import { ask, choose } from "./init_ask.ts";
import { readDiscovery } from "./init_discovery.ts";
import {
  clientAuthFor,
  grantOffer,
  INIT_TYPES,
  type InitType,
  nothingOffered,
  notOffered,
  offeredGrants,
  offeredTypes,
  ssoFlow,
  TYPE_SUMMARIES,
} from "./init_offers.ts";
import { recordTrusted, writeConfigFile } from "./init_save.ts";
import { type InitTarget, initTarget, stillAsRead } from "./init_target.ts";
import { appendTo, type InitPlan, initToml, neededVariables } from "./init_toml.ts";
import type { CommandArgs, CommandContext, Flags, INIT_OPTIONS } from "./spec.ts";
import { shellWord } from "../ui/text.ts";

export interface InitOptions {
  issuer?: string;
  clientId?: string;
  type?: InitType;
  /** The new env's name (`--env`). */
  env?: string;
  /** The env's `base_url` (`--base-url`); left commented out without it. */
  baseUrl?: string;
}

/** The env name when none is given. */
export const DEFAULT_ENV = "dev";

const USAGE = `lmi init --issuer URL --client-id ID --type ${
  INIT_TYPES.join("|")
} [--base-url URL] [--env NAME]`;

/** Control characters, which no client id holds. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

/** Why `value` is no issuer URL lmi init can read, or undefined when it is one. */
function issuerProblem(value: string): string | undefined {
  const problem = endpointUrlProblem(value);
  if (problem) return problem;
  try {
    assertSecureEndpoint(value, "issuer");
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return undefined;
}

/** Flags → options (no I/O). */
export function parseOptions(
  flags: Flags<typeof INIT_OPTIONS>,
  { globals }: Pick<CommandArgs, "globals">,
): InitOptions {
  const options: InitOptions = {};
  const issuer = flags.issuer;
  if (issuer !== undefined) {
    const problem = endpointUrlProblem(issuer);
    if (problem) {
      throw new UsageError("BAD_FLAG_VALUE", `--issuer: ${problem}`, {
        hint: "give the IdP's issuer, e.g. --issuer https://idp.example.com/realms/corp",
      });
    }
    options.issuer = issuer;
  }
  const clientId = flags["client-id"];
  if (clientId !== undefined) {
    if (clientId.trim() === "" || CONTROL.test(clientId)) {
      throw new UsageError("BAD_FLAG_VALUE", `--client-id: invalid client id ${q(clientId)}`, {
        hint: "give the client id registered at the IdP",
      });
    }
    options.clientId = clientId;
  }
  const type = flags.type;
  if (type !== undefined) {
    const known = INIT_TYPES.find((t) => t === type);
    if (!known) {
      throw new UsageError("BAD_FLAG_VALUE", `--type: lmi init does not write ${q(type)}`, {
        hint: type === "command" || type === "none"
          ? `a ${q(type)} env signs in at no IdP: write it by hand ([envs.NAME.auth] type = ` +
            `${q(type)}); lmi init writes ${INIT_TYPES.join(", ")}`
          : `valid types: ${INIT_TYPES.join(", ")}`,
      });
    }
    options.type = known;
  }
  const baseUrl = flags["base-url"];
  if (baseUrl !== undefined) {
    const problem = endpointUrlProblem(baseUrl);
    if (problem) {
      throw new UsageError("BAD_FLAG_VALUE", `--base-url: ${problem}`, {
        hint: "give the API's URL, e.g. --base-url https://api.example.com",
      });
    }
    options.baseUrl = baseUrl;
  }
  if (globals.env !== undefined) {
    if (!ENV_NAME.test(globals.env)) {
      throw new UsageError("ENV_NAME_INVALID", `invalid env name ${q(globals.env)} (from --env)`, {
        hint: ENV_NAME_HINT,
      });
    }
    options.env = globals.env;
  }
  return options;
}

/** Outside a terminal every answer comes from a flag: the missing ones are a usage error. */
function requireFlags(options: InitOptions): void {
  const missing = [
    options.issuer === undefined && "--issuer",
    options.clientId === undefined && "--client-id",
    options.type === undefined && "--type",
  ].filter((f) => typeof f === "string");
  if (missing.length === 0) return;
  throw new UsageError(
    "MISSING_FLAG",
    `${missing.join(", ")} required when lmi init cannot ask (no terminal, or CI is set)`,
    { hint: USAGE },
  );
}

function envTaken(name: string, path: string): FailedError {
  return new FailedError("ENV_EXISTS", `env ${q(name)} is already in ${visible(path)}`, {
    hint: `pick another name with --env NAME, or edit ${visible(path)} by hand`,
  });
}

/** The new env's name: the flag's (or "dev"), asked in a terminal when taken or not given. */
async function pickEnv(
  ctx: CommandContext,
  target: InitTarget,
  given: string | undefined,
  interactive: boolean,
): Promise<string> {
  const taken = (name: string) =>
    target.existing !== undefined && Object.hasOwn(target.existing.file.envs, name);
  if (!interactive) {
    const name = given ?? DEFAULT_ENV;
    if (taken(name)) throw envTaken(name, target.path);
    return name;
  }
  if (given !== undefined) {
    if (!taken(given)) return given;
    ctx.log.say(`env ${q(given)} is already in ${visible(target.path)}.`);
  }
  return await ask(ctx, {
    text: "Name of the new env",
    flag: "--env",
    ...(taken(DEFAULT_ENV) ? {} : { fallback: DEFAULT_ENV }),
    check: (name) =>
      !ENV_NAME.test(name)
        ? { retry: ENV_NAME_HINT }
        : taken(name)
        ? { retry: `env ${q(name)} is already in ${visible(target.path)}; pick another name` }
        : name,
  });
}

/** The kind of sign-in: the flag's, else chosen in a terminal from those the IdP offers. */
async function pickType(
  ctx: CommandContext,
  metadata: IdpMetadata,
  given: InitType | undefined,
): Promise<InitType> {
  if (given !== undefined) return given;
  const offered = offeredTypes(metadata);
  if (offered.length === 0) throw nothingOffered(metadata);
  return await choose(
    ctx,
    { text: "Kind of sign-in", flag: "--type" },
    offered,
    (t) => TYPE_SUMMARIES[t],
  );
}

/** The scopes of a new `[sso]` table: lmi's default, less those the IdP says it does not know. */
function ssoScopes(metadata: IdpMetadata): string[] {
  const known = metadata.scopes_supported;
  return DEFAULT_SSO_SCOPES.filter((s) => s === "openid" || !known || known.includes(s));
}

/**
 * The `[sso]` table to write for an sso env: none when the file has one for this issuer and
 * client already; a FailedError when it has another (lmi init does not change it).
 */
function ssoPart(
  target: InitTarget,
  metadata: IdpMetadata,
  clientId: string,
): InitPlan["sso"] {
  const have = target.existing?.file.sso?.[DEFAULT_PROVIDER];
  if (!have) return { scopes: ssoScopes(metadata) };
  if (have.issuer && sameIssuer(have.issuer, metadata.issuer) && have.client_id === clientId) {
    return undefined;
  }
  const names = [
    `issuer ${q(have.issuer ?? "(none)")}`,
    ...(have.client_id !== clientId ? [`client_id ${q(have.client_id ?? "(none)")}`] : []),
  ].join(" and ");
  throw new FailedError(
    "SSO_EXISTS",
    `${visible(target.path)} already has an [sso] table with ${names}; lmi init does not change it`,
    {
      hint: "edit [sso] by hand, or write this env to a file of its own with --config PATH",
    },
  );
}

/** The file's new text must be a config lmi accepts holding the new env, or nothing is written. */
async function checkText(text: string, path: string, plan: InitPlan, appended: boolean) {
  try {
    const file = await parseConfigText(text, path);
    if (file.envs[plan.env]?.auth?.type !== plan.type) throw new Error("the env is not in it");
  } catch (err) {
    throw new ConfigError(
      "INIT_UNUSABLE",
      `lmi init cannot ${appended ? "add to" : "write"} ${visible(path)}: the result would not ` +
        `be a config lmi accepts (${err instanceof Error ? err.message : String(err)})`,
      {
        hint: "write the env to a file of its own with --config PATH and copy it over by hand",
        cause: err,
      },
    );
  }
}

/**
 * How a command reaches the written file: by itself (lmi finds it and may use it), or with
 * --config PATH (another file comes first, or it is discovered here but not trusted).
 */
function configFlag(ctx: CommandContext, path: string, trusted: boolean): string {
  try {
    const found = findConfig(ctx.deps, undefined);
    if (
      found && canonicalPath(found.path) === path &&
      (found.origin !== "nearest lmi.toml" || trusted)
    ) return "";
  } catch { /* an LMI_CONFIG lmi refuses: name the file */ }
  return ` --config ${shellWord(path)}`;
}

/** A line of the next steps: a command to run, or a comment. */
type Step = { command: string; comment?: string } | { comment: string };

/** What to do next: set the variables the env reads, then sign in or ask for a token. */
function nextSteps(
  ctx: CommandContext,
  plan: InitPlan,
  path: string,
  trusted: boolean,
  flow?: string,
): Step[] {
  const cfg = configFlag(ctx, path, trusted);
  const set = (variable: string) =>
    ctx.deps.os === "windows" ? `$env:${variable} = "…"` : `export ${variable}=…`;
  const vars = neededVariables(plan);
  const steps: Step[] = vars.map((v) => ({ command: set(v.variable), comment: v.what }));
  if (vars.length > 0) {
    steps.push({
      comment: `or lines like ${vars[0]!.variable}=… in ${join(dirname(path), ".env")} ` +
        "(keep it out of version control)",
    });
  }
  switch (plan.type) {
    case "sso":
      steps.push({ command: `lmi login sso${flow === "device" ? " --device" : ""}${cfg}` });
      steps.push({ command: `lmi auth token --env ${plan.env}${cfg}`, comment: "the SSO token" });
      break;
    case "token_exchange":
    case "jwt_bearer":
      steps.push(
        { comment: "in a GitHub Actions job with permissions: id-token: write, naming the file" },
        { comment: "(LMI_CONFIG, or the Action's config input: CI trusts no discovered file):" },
        { command: `lmi auth token --env ${plan.env}${cfg}` },
      );
      break;
    default:
      steps.push({ command: `lmi login --env ${plan.env}${cfg}`, comment: "checks it all" });
  }
  return steps;
}

function stepLines(steps: readonly Step[]): string[] {
  const width = Math.max(...steps.map((s) => "command" in s && s.comment ? s.command.length : 0));
  return steps.map((s) =>
    !("command" in s)
      ? `  # ${s.comment}`
      : s.comment
      ? `  ${s.command.padEnd(width)}   # ${s.comment}`
      : `  ${s.command}`
  );
}

export async function run(options: InitOptions, ctx: CommandContext): Promise<number> {
  const { deps, log, globals } = ctx;
  const interactive = isInteractive(deps);
  if (!interactive) requireFlags(options);
  const target = await initTarget(deps, globals);
  const early = interactive ? undefined : await pickEnv(ctx, target, options.env, false);

  const issuer = options.issuer ?? await ask(ctx, {
    text: "Issuer URL of the IdP (e.g. https://idp.example.com/realms/corp)",
    flag: "--issuer",
    check: (answer) => {
      const problem = issuerProblem(answer);
      return problem === undefined ? answer : { retry: problem };
    },
  });
  if (interactive) log.say(`Reading the discovery document of ${issuer}…`);
  const metadata = await readDiscovery(issuer, ctx);
  const type = await pickType(ctx, metadata, options.type);
  const offer = grantOffer(type, metadata);
  if (offer === "no") throw notOffered(type, metadata);
  if (offer === "assumed" && type !== "sso") {
    log.warn(
      `the discovery document lists no grant_types_supported (RFC 8414: then only ` +
        `${offeredGrants(metadata).grants.join(" and ")}); assuming the IdP offers ${type}: ` +
        "lmi login will tell",
    );
  }
  const auth = clientAuthFor(type, metadata);
  if (auth.assumed && auth.choice === "secret") {
    log.info(
      "the discovery document lists no token_endpoint_auth_methods_supported: " +
        "client_secret_basic assumed (RFC 8414)",
    );
  }
  const clientId = options.clientId ?? await ask(ctx, {
    text: type === "sso" ? "Client id of lmi at the IdP" : "Client id",
    flag: "--client-id",
    check: (answer) =>
      CONTROL.test(answer) ? { retry: "a client id has no control characters" } : answer,
  });
  const env = early ?? await pickEnv(ctx, target, options.env, true);
  const sso = type === "sso" ? ssoPart(target, metadata, clientId) : undefined;
  const plan: InitPlan = {
    env,
    type,
    issuer: metadata.issuer,
    clientId,
    clientAuth: auth.choice,
    ...(sso ? { sso } : {}),
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    newFile: target.existing === undefined,
  };
  const part = initToml(plan);
  const text = target.existing ? appendTo(target.existing.text, part) : part;
  await checkText(text, target.path, plan, target.existing !== undefined);

  if (!stillAsRead(target)) {
    throw new FailedError(
      "CONFIG_CHANGED_MEANWHILE",
      `${visible(target.path)} changed while lmi init ran; nothing written`,
      { hint: "run lmi init again" },
    );
  }
  await writeConfigFile(target.path, text, target.existing?.mode);
  const path = canonicalPath(target.path);
  // A named file held content the user may never have reviewed: it is used without trust when
  // named, and is not made trusted for discovery here.
  const record = target.existing === undefined || target.existing.trusted;
  const notRecorded = record ? await recordTrusted(deps, log, path, text) : undefined;
  const trusted = record && notRecorded === undefined;
  const flow = type === "sso" ? ssoFlow(metadata) : undefined;
  const steps = nextSteps(ctx, plan, path, trusted, flow);
  if (notRecorded !== undefined) {
    steps.unshift({ command: `lmi trust ${shellWord(path)}`, comment: "review it, then trust it" });
    log.warn(`${visible(path)} is written, but not recorded as trusted: ${notRecorded}`);
  }
  if (globals.json) {
    await writeJson(ctx, {
      path,
      env,
      type,
      issuer: metadata.issuer,
      client_id: clientId,
      appended: target.existing !== undefined,
      trusted,
      variables: neededVariables(plan).map((v) => v.variable),
      commands: steps.flatMap((s) => "command" in s ? [s.command] : []),
    });
    return 0;
  }
  log.say([
    `${target.existing ? "Added" : "Wrote"} env ${q(env)} (${type} at ${metadata.issuer}, ` +
    `client ${q(clientId)}) ${target.existing ? "to" : "in"} ${visible(path)}` +
    (type === "sso" && sso === undefined ? ", using the [sso] table already there" : "") + ".",
    ...(trusted
      ? [
        "lmi trusts the file as written; after you edit it (base_url, scopes), run lmi trust again.",
      ]
      : !record
      ? [`It is named by ${target.named}: lmi uses it so without a trust step.`]
      : []),
    ...(target.shadows
      ? [`Commands run here and below now use it instead of ${visible(target.shadows)}.`]
      : []),
    "",
    "Next:",
    ...stepLines(steps),
  ].join("\n"));
  return 0;
}
