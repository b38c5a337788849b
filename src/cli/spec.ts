/**
 * The command table: names, usage, flags and a lazy loader per command. Kept free of heavy
 * imports: the dispatcher reads it on every run, and each command's module is loaded only when
 * that command runs (through lazyImport, so Deno does not read it at start-up either).
 *
 * @module
 */
import type { OfferLogin } from "../sso/sign_in.ts";
import type { Deps } from "../context.ts";
import type { Logger } from "../ui/log.ts";
import type { Flags } from "./flags.ts";
import { lazyImport } from "./lazy.ts";

export type { Flags };

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Placeholder for the value in help, e.g. "NAME". */
  arg?: string;
  desc: string;
}

/** A command's flags by name. Declared `as const satisfies Options` so `Flags<…>` is exact. */
export type Options = Record<string, OptionSpec>;

export interface GlobalFlags {
  env?: string;
  config?: string;
  verbose: number;
  json: boolean;
  noColor: boolean;
}

/** What a command's `parseOptions` reads besides its flags. */
export interface CommandArgs {
  positionals: readonly string[];
  globals: GlobalFlags;
}

/** What every command's `run` receives besides its options. */
export interface CommandContext {
  deps: Deps;
  log: Logger;
  globals: GlobalFlags;
  /** Offers a new SSO sign-in when a command needs one (in a terminal only). */
  offerLogin?: OfferLogin;
}

/**
 * A command module: `parseOptions` turns the flags typed by the command's spec into its options
 * (pure; throws `UsageError`), `run` acts on them.
 */
export interface CommandModule<O extends Options, T> {
  parseOptions: (flags: Flags<O>, args: CommandArgs) => T;
  run: (options: T, ctx: CommandContext) => Promise<number>;
}

/**
 * A command module as the dispatcher holds it, whatever its options: what `parseOptions` returns
 * is handed only to the same module's `run`. (Method syntax: each entry of {@link COMMANDS} is
 * checked exactly by {@link command}, then kept in this erased form.)
 */
export interface LoadedCommand {
  parseOptions(flags: Flags<Options>, args: CommandArgs): unknown;
  run(options: unknown, ctx: CommandContext): Promise<number>;
}

export interface CommandSpec {
  path: string[];
  summary: string;
  usage: string;
  description?: string;
  options: Options;
  positionals: { min: number; max: number; names?: string };
  aliases?: string[][];
  load(): Promise<LoadedCommand>;
}

/** The options of a command that has no flags or arguments of its own. */
export type NoOptions = Record<never, never>;

/** `parseOptions` for a command that has no flags or arguments of its own. */
export function noOptions(): NoOptions {
  return {};
}

/** A command table entry whose module's `parseOptions` takes exactly the flags of `options`. */
function command<const O extends Options, T>(
  spec: Omit<CommandSpec, "options" | "load"> & {
    options: O;
    load(): Promise<CommandModule<O, T>>;
  },
): CommandSpec {
  return spec;
}

export const GLOBAL_OPTIONS = {
  env: {
    type: "string",
    short: "e",
    arg: "NAME",
    desc: "environment to use (default: LMI_ENV, then default_env)",
  },
  config: {
    type: "string",
    short: "c",
    arg: "PATH",
    desc: "config file (default: LMI_CONFIG, nearest lmi.toml, user config)",
  },
  verbose: {
    type: "boolean",
    short: "v",
    multiple: true,
    desc: "more output on stderr: -v info, -vv debug with HTTP exchanges (redacted)",
  },
  json: { type: "boolean", desc: "machine-readable output where offered" },
  "no-color": { type: "boolean", desc: "no colors (also NO_COLOR)" },
  help: { type: "boolean", short: "h", desc: "show help" },
  version: { type: "boolean", short: "V", desc: "show lmi's version" },
} as const satisfies Options;

export const TOKEN_FORMATS = [
  "raw",
  "header",
  "json",
  "env",
  "exec-credential",
  "github",
] as const;

export const LOGIN_SSO_OPTIONS = {
  device: { type: "boolean", desc: "sign in with a code on another device (RFC 8628)" },
  "no-browser": {
    type: "boolean",
    desc: "print the URL; also read the address the browser ends on from stdin",
  },
  port: {
    type: "string",
    arg: "N",
    desc: "loopback port for the redirect (default: redirect_port, 0 = any)",
  },
  timeout: {
    type: "string",
    arg: "DURATION",
    desc: "give up when nobody signs in within this (default 5m)",
  },
  scope: {
    type: "string",
    multiple: true,
    arg: "S",
    desc: "ask for this scope too, beside [sso] scopes (repeatable)",
  },
  "acr-values": {
    type: "string",
    arg: "V",
    desc: "ask for a stronger sign-in: acr values, space-separated (RFC 9470)",
  },
  "max-age": {
    type: "string",
    arg: "DURATION",
    desc: "ask for a sign-in no older than this (max_age, e.g. 5m)",
  },
} as const satisfies Options;

export const LOGOUT_OPTIONS = {
  all: { type: "boolean", desc: "delete the cached tokens of every env" },
} as const satisfies Options;

export const LOGOUT_SSO_OPTIONS = {
  all: { type: "boolean", desc: "sign out of every SSO provider" },
} as const satisfies Options;

export const AUTH_TOKEN_OPTIONS = {
  format: {
    type: "string",
    short: "f",
    arg: "FORMAT",
    desc: "raw | header | json | env | exec-credential | github",
  },
  "min-ttl": {
    type: "string",
    arg: "DURATION",
    desc: "the token must stay valid at least this long (e.g. 5m)",
  },
  force: { type: "boolean", desc: "ignore the cached token and get a new one" },
} as const satisfies Options;

export const DPOP_PROOF_OPTIONS = {
  method: { type: "string", short: "X", arg: "METHOD", desc: "the request's HTTP method (htm)" },
  url: { type: "string", arg: "URL", desc: "the request's URL (htu; query and fragment dropped)" },
  nonce: { type: "string", arg: "NONCE", desc: "the server's DPoP-Nonce, when it asked for one" },
} as const satisfies Options;

export const REQUEST_OPTIONS = {
  method: {
    type: "string",
    short: "X",
    arg: "METHOD",
    desc: "GET (default; POST with -d), HEAD, PUT, PATCH, DELETE, OPTIONS",
  },
  header: {
    type: "string",
    short: "H",
    multiple: true,
    arg: "'K: V'",
    desc: "add a request header (repeatable)",
  },
  data: {
    type: "string",
    short: "d",
    arg: "DATA",
    desc: "request body: text, @FILE, or @- for stdin",
  },
  include: {
    type: "boolean",
    short: "i",
    desc: "print the status line and headers before the body",
  },
} as const satisfies Options;

export const EXEC_OPTIONS = {
  "min-ttl": {
    type: "string",
    arg: "DURATION",
    desc: "the token must stay valid at least this long (default 5m)",
  },
} as const satisfies Options;

export const TRUST_OPTIONS = {
  show: { type: "boolean", desc: "show what the file lets lmi do; trust nothing" },
  list: {
    type: "boolean",
    desc: "list the trusted files (trusted, changed or missing) and LMI_TRUSTED_PATHS",
  },
} as const satisfies Options;

export const INIT_OPTIONS = {
  issuer: {
    type: "string",
    arg: "URL",
    desc: "the IdP's issuer; its discovery document is read",
  },
  "client-id": { type: "string", arg: "ID", desc: "the client registered at the IdP" },
  type: {
    type: "string",
    arg: "TYPE",
    desc: "client_credentials | password | sso | token_exchange | jwt_bearer",
  },
  "base-url": {
    type: "string",
    arg: "URL",
    desc: "the API the env's token is for (lmi request PATH goes there)",
  },
} as const satisfies Options;

export const COMMANDS: CommandSpec[] = [
  command({
    path: ["init"],
    summary: "write a starter lmi.toml from the IdP's discovery document",
    usage: "lmi init [--issuer URL] [--client-id ID] [--type TYPE] [--base-url URL] [--env NAME]",
    description:
      "Reads the issuer's discovery document, checks that the IdP offers the grant and a client\n" +
      "authentication lmi can use, and writes the env named by --env (default: dev) to ./lmi.toml\n" +
      "or the file --config names, appending to one you trust. lmi trusts the file as written.\n" +
      "Secrets never go in it, only the names of their variables (LMI_DEV_CLIENT_SECRET…).\n" +
      "In a terminal it asks for what the flags do not give; elsewhere --issuer, --client-id and\n" +
      "--type are needed. Then it says the next command to run.",
    options: INIT_OPTIONS,
    positionals: { min: 0, max: 0 },
    load: () => lazyImport<typeof import("./init.ts")>("./init.ts", import.meta.url),
  }),
  command({
    path: ["login"],
    summary: "acquire and cache the env's token now (checks config and secrets)",
    usage: "lmi login [--env NAME]",
    options: {},
    positionals: { min: 0, max: 0 },
    load: () => lazyImport<typeof import("./login.ts")>("./login.ts", import.meta.url),
  }),
  command({
    path: ["login", "sso"],
    summary: "sign in to an SSO identity provider ([sso], [sso.NAME]) in the browser",
    usage: "lmi login sso [NAME] [--device] [--no-browser] [--port N] [--timeout DURATION] " +
      "[--scope S]... [--acr-values V] [--max-age DURATION]",
    description:
      'NAME is the provider: [sso.NAME] in the config; without it, "default" ([sso] itself).\n' +
      "Authorization code with PKCE through the browser and a loopback redirect on 127.0.0.1;\n" +
      "--device: the device authorization grant (a code to enter on another device).\n" +
      "--no-browser prints the URL and takes the redirect or, pasted on stdin, the address the\n" +
      "browser ends on (a browser on another machine cannot reach this one's 127.0.0.1).\n" +
      "Over SSH or without a display: the device flow when the IdP offers it, else as\n" +
      "--no-browser.\n" +
      "--scope, --acr-values and --max-age ask for more than [sso] does, for this sign-in: what\n" +
      "an API's step-up answer names (lmi request prints the command).",
    options: LOGIN_SSO_OPTIONS,
    positionals: { min: 0, max: 1, names: "NAME" },
    load: () => lazyImport<typeof import("./login_sso.ts")>("./login_sso.ts", import.meta.url),
  }),
  command({
    path: ["logout"],
    summary: "revoke (where the IdP offers it) and delete cached service tokens",
    usage: "lmi logout [--env NAME | --all]",
    options: LOGOUT_OPTIONS,
    positionals: { min: 0, max: 0 },
    load: () => lazyImport<typeof import("./logout.ts")>("./logout.ts", import.meta.url),
  }),
  command({
    path: ["logout", "sso"],
    summary: "revoke an SSO provider's session at its IdP and delete it",
    usage: "lmi logout sso [NAME|--all]",
    description: 'NAME is the provider ([sso.NAME]; default: "default", [sso] itself);\n' +
      "--all: every provider in the config.",
    options: LOGOUT_SSO_OPTIONS,
    positionals: { min: 0, max: 1, names: "NAME" },
    load: () => lazyImport<typeof import("./logout_sso.ts")>("./logout_sso.ts", import.meta.url),
  }),
  command({
    path: ["auth", "token"],
    aliases: [["token"]],
    summary: "print a valid access token",
    usage: "lmi auth token [--env NAME] [--format FORMAT] [--min-ttl DURATION] [--force]",
    description:
      "Prints a valid access token on stdout, from the cache when it is fresh enough.\n" +
      "Formats: raw (default), header (Authorization: …), json, env (export lines),\n" +
      "exec-credential (Kubernetes client.authentication.k8s.io ExecCredential).",
    options: AUTH_TOKEN_OPTIONS,
    positionals: { min: 0, max: 0 },
    load: () => lazyImport<typeof import("./auth_token.ts")>("./auth_token.ts", import.meta.url),
  }),
  command({
    path: ["auth", "dpop-proof"],
    summary: "print a fresh DPoP proof for a request (dpop = true envs)",
    usage: "lmi auth dpop-proof --method METHOD --url URL [--nonce NONCE] [--env NAME]",
    description:
      "Prints a DPoP proof (RFC 9449) made with the env's key and bound to its current token (ath),\n" +
      'for tools that make their own requests: send it as "DPoP: <proof>" beside\n' +
      '"Authorization: DPoP <token>" (lmi auth token --format header). One proof per request.',
    options: DPOP_PROOF_OPTIONS,
    positionals: { min: 0, max: 0 },
    load: () =>
      lazyImport<typeof import("./auth_dpop_proof.ts")>("./auth_dpop_proof.ts", import.meta.url),
  }),
  command({
    path: ["auth", "status"],
    summary: "show the SSO sessions and each env's token state (never a token)",
    usage: "lmi auth status [--env NAME] [--json]",
    description: "With --env: exit 1 when that env has no valid token.",
    options: {},
    positionals: { min: 0, max: 0 },
    load: () => lazyImport<typeof import("./auth_status.ts")>("./auth_status.ts", import.meta.url),
  }),
  command({
    path: ["request"],
    summary: "authenticated request to the env's API; body to stdout",
    usage: "lmi request [-X METHOD] PATH|URL [-H 'K: V']... [-d DATA|@FILE|@-] [-i] [--env NAME]",
    description:
      "A PATH is appended to the env's base_url. The token and the env's headers go only to\n" +
      "base_url's origin. A non-2xx answer prints its body, says the status on stderr, exits 1.",
    options: REQUEST_OPTIONS,
    positionals: { min: 1, max: 1, names: "PATH|URL" },
    load: () => lazyImport<typeof import("./request.ts")>("./request.ts", import.meta.url),
  }),
  command({
    path: ["exec"],
    summary: "run a command with LMI_TOKEN, LMI_BASE_URL and LMI_ENV set",
    usage: "lmi exec [--env NAME] [--min-ttl DURATION] -- CMD [ARGS...]",
    description: "The command's stdin, stdout and stderr are lmi's; its exit code is lmi's.\n" +
      "The token stays valid at least --min-ttl (default 5m).",
    options: EXEC_OPTIONS,
    positionals: { min: 1, max: Infinity, names: "CMD" },
    load: () => lazyImport<typeof import("./exec.ts")>("./exec.ts", import.meta.url),
  }),
  command({
    path: ["completions"],
    summary: "print a shell completion script (bash, zsh, fish or PowerShell)",
    usage: "lmi completions bash|zsh|fish|powershell",
    description: "bash: source <(lmi completions bash)   zsh: source <(lmi completions zsh)\n" +
      "fish: lmi completions fish | source\n" +
      "PowerShell: lmi completions powershell | Out-String | Invoke-Expression\n" +
      "They complete commands, flags, env names and SSO provider names (from lmi env list --json).",
    options: {},
    positionals: { min: 1, max: 1, names: "SHELL" },
    load: () => lazyImport<typeof import("./completions.ts")>("./completions.ts", import.meta.url),
  }),
  command({
    path: ["env", "list"],
    summary: "list environments, their auth type and token state",
    usage: "lmi env list [--json]",
    options: {},
    positionals: { min: 0, max: 0 },
    load: () => lazyImport<typeof import("./env_list.ts")>("./env_list.ts", import.meta.url),
  }),
  command({
    path: ["env", "show"],
    summary: "show an env's resolved config and where each value came from",
    usage: "lmi env show [NAME] [--json]",
    options: {},
    positionals: { min: 0, max: 1, names: "NAME" },
    load: () => lazyImport<typeof import("./env_show.ts")>("./env_show.ts", import.meta.url),
  }),
  command({
    path: ["trust"],
    summary: "show what a discovered lmi.toml lets lmi do, then trust it",
    usage: "lmi trust [PATH] [--show] [--json] | lmi trust --list",
    description:
      "lmi uses the nearest lmi.toml only once you trusted it: it can run commands and send\n" +
      "variables to hosts, and git, Docker and kubectl run lmi in any folder, strangers'\n" +
      "repositories included. PATH (default: the lmi.toml lmi finds here) is recorded with the\n" +
      "SHA-256 of its content; an edited file must be trusted again. Not needed for --config,\n" +
      "LMI_CONFIG, the user config file, or files below a folder in LMI_TRUSTED_PATHS.",
    options: TRUST_OPTIONS,
    positionals: { min: 0, max: 1, names: "PATH" },
    load: () => lazyImport<typeof import("./trust.ts")>("./trust.ts", import.meta.url),
  }),
  command({
    path: ["untrust"],
    summary: "forget a trusted lmi.toml",
    usage: "lmi untrust [PATH]",
    options: {},
    positionals: { min: 0, max: 1, names: "PATH" },
    load: () => lazyImport<typeof import("./untrust.ts")>("./untrust.ts", import.meta.url),
  }),
  command({
    path: ["git-credential"],
    summary: "git's credential helper: the token of the env whose base_url matches",
    usage: "lmi git-credential get|store|erase [--env NAME]",
    description:
      "Speaks git's credential-helper protocol on stdin/stdout: get answers username (the env's\n" +
      "git_username, default oauth2), password (the access token) and password_expiry_utc for\n" +
      "the env whose base_url matches the URL (longest path prefix), or --env; nothing when none\n" +
      "does. erase drops the env's cached token; store does nothing. Never prompts.\n" +
      "git config --global credential.https://git.example.com.helper '!lmi git-credential'",
    options: {},
    positionals: { min: 1, max: 1, names: "ACTION" },
    load: () =>
      lazyImport<typeof import("./git_credential.ts")>("./git_credential.ts", import.meta.url),
  }),
  command({
    path: ["docker-credential"],
    summary: "Docker's credential helper (also run as docker-credential-lmi)",
    usage: "lmi docker-credential get|list|store|erase [--env NAME]",
    description:
      "Speaks Docker's credential-helper protocol on stdin/stdout: get reads a server URL and\n" +
      'prints {"ServerURL","Username","Secret"} for the env whose base_url matches (or --env);\n' +
      "list prints each base_url with its username; erase drops the env's cached token; store\n" +
      'does nothing. In ~/.docker/config.json: "credHelpers": {"registry.example.com": "lmi"}',
    options: {},
    positionals: { min: 1, max: 1, names: "ACTION" },
    load: () =>
      lazyImport<typeof import("./docker_credential.ts")>(
        "./docker_credential.ts",
        import.meta.url,
      ),
  }),
];

/** The command groups (`lmi auth …`, `lmi env …`). */
export const GROUPS: Record<string, string> = {
  auth: "tokens: print one, show status",
  env: "environments: list, show resolved config",
};
