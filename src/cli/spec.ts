/**
 * The command table: names, usage, flags and a lazy loader per command. Kept free of heavy
 * imports: the dispatcher reads it on every run, and each command's module is loaded only when
 * that command runs.
 *
 * @module
 */
import type { OfferLogin } from "../sso/sign_in.ts";
import type { Deps } from "../context.ts";
import type { Logger } from "../ui/log.ts";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Placeholder for the value in help, e.g. "NAME". */
  arg?: string;
  desc: string;
}

export interface GlobalFlags {
  env?: string;
  config?: string;
  verbose: number;
  json: boolean;
  noColor: boolean;
}

export type FlagValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** What every command's `run` receives. */
export interface CommandContext {
  deps: Deps;
  log: Logger;
  globals: GlobalFlags;
  flags: FlagValues;
  positionals: string[];
  /** Offers a new SSO sign-in when a command needs one (in a terminal only). */
  offerLogin?: OfferLogin;
}

export interface CommandModule {
  run(ctx: CommandContext): Promise<number>;
}

export interface CommandSpec {
  path: string[];
  summary: string;
  usage: string;
  description?: string;
  options: Record<string, OptionSpec>;
  positionals: { min: number; max: number; names?: string };
  aliases?: string[][];
  load(): Promise<CommandModule>;
}

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
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
};

export const TOKEN_FORMATS = ["raw", "header", "json", "env", "exec-credential"] as const;

export const COMMANDS: CommandSpec[] = [
  {
    path: ["login"],
    summary: "acquire and cache the env's token now (checks config and secrets)",
    usage: "lmi login [--env NAME]",
    options: {},
    positionals: { min: 0, max: 0 },
    load: () => import("./login.ts"),
  },
  {
    path: ["login", "sso"],
    summary: "sign in to the company identity provider ([sso]) in the browser",
    usage: "lmi login sso [--device] [--no-browser] [--port N] [--timeout DURATION]",
    description:
      "Authorization code with PKCE through the browser and a loopback redirect on 127.0.0.1;\n" +
      "--device: the device authorization grant (a code to enter on another device).\n" +
      "Over SSH or without a display, the device flow is used when the IdP offers it.",
    options: {
      device: { type: "boolean", desc: "sign in with a code on another device (RFC 8628)" },
      "no-browser": { type: "boolean", desc: "print the URL instead of opening a browser" },
      port: {
        type: "string",
        arg: "N",
        desc: "loopback port for the redirect (default [sso].redirect_port, 0 = any)",
      },
      timeout: {
        type: "string",
        arg: "DURATION",
        desc: "give up when nobody signs in within this (default 5m)",
      },
    },
    positionals: { min: 0, max: 0 },
    load: () => import("./login_sso.ts"),
  },
  {
    path: ["logout"],
    summary: "delete cached service tokens",
    usage: "lmi logout [--env NAME | --all]",
    options: { all: { type: "boolean", desc: "delete the cached tokens of every env" } },
    positionals: { min: 0, max: 0 },
    load: () => import("./logout.ts"),
  },
  {
    path: ["logout", "sso"],
    summary: "revoke the SSO session at the IdP and delete it",
    usage: "lmi logout sso",
    options: {},
    positionals: { min: 0, max: 0 },
    load: () => import("./logout_sso.ts"),
  },
  {
    path: ["auth", "token"],
    aliases: [["token"]],
    summary: "print a valid access token",
    usage: "lmi auth token [--env NAME] [--format FORMAT] [--min-ttl DURATION] [--force]",
    description:
      "Prints a valid access token on stdout, from the cache when it is fresh enough.\n" +
      "Formats: raw (default), header (Authorization: …), json, env (export lines),\n" +
      "exec-credential (Kubernetes client.authentication.k8s.io ExecCredential).",
    options: {
      format: {
        type: "string",
        short: "f",
        arg: "FORMAT",
        desc: "raw | header | json | env | exec-credential",
      },
      "min-ttl": {
        type: "string",
        arg: "DURATION",
        desc: "the token must stay valid at least this long (e.g. 5m)",
      },
      force: { type: "boolean", desc: "ignore the cached token and get a new one" },
    },
    positionals: { min: 0, max: 0 },
    load: () => import("./auth_token.ts"),
  },
  {
    path: ["auth", "status"],
    summary: "show the SSO session and each env's token state (never a token)",
    usage: "lmi auth status [--env NAME] [--json]",
    description: "With --env: exit 1 when that env has no valid token.",
    options: {},
    positionals: { min: 0, max: 0 },
    load: () => import("./auth_status.ts"),
  },
  {
    path: ["request"],
    summary: "authenticated request to the env's API; body to stdout",
    usage: "lmi request [-X METHOD] PATH|URL [-H 'K: V']... [-d DATA|@FILE|@-] [-i] [--env NAME]",
    description:
      "A PATH is appended to the env's base_url. The token and the env's headers go only to\n" +
      "base_url's origin. A non-2xx answer prints its body, says the status on stderr, exits 1.",
    options: {
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
    },
    positionals: { min: 1, max: 1, names: "PATH|URL" },
    load: () => import("./request.ts"),
  },
  {
    path: ["exec"],
    summary: "run a command with LMI_TOKEN, LMI_BASE_URL and LMI_ENV set",
    usage: "lmi exec [--env NAME] [--min-ttl DURATION] -- CMD [ARGS...]",
    description: "The command's stdin, stdout and stderr are lmi's; its exit code is lmi's.\n" +
      "The token stays valid at least --min-ttl (default 5m).",
    options: {
      "min-ttl": {
        type: "string",
        arg: "DURATION",
        desc: "the token must stay valid at least this long (default 5m)",
      },
    },
    positionals: { min: 1, max: Infinity, names: "CMD" },
    load: () => import("./exec.ts"),
  },
  {
    path: ["completions"],
    summary: "print a shell completion script (bash, zsh or fish)",
    usage: "lmi completions bash|zsh|fish",
    description: "bash: source <(lmi completions bash)   zsh: source <(lmi completions zsh)\n" +
      "fish: lmi completions fish | source",
    options: {},
    positionals: { min: 1, max: 1, names: "SHELL" },
    load: () => import("./completions.ts"),
  },
  {
    path: ["env", "list"],
    summary: "list environments, their auth type and token state",
    usage: "lmi env list [--json]",
    options: {},
    positionals: { min: 0, max: 0 },
    load: () => import("./env_list.ts"),
  },
  {
    path: ["env", "show"],
    summary: "show an env's resolved config and where each value came from",
    usage: "lmi env show [NAME] [--json]",
    options: {},
    positionals: { min: 0, max: 1, names: "NAME" },
    load: () => import("./env_show.ts"),
  },
];

/** The command groups (`lmi auth …`, `lmi env …`). */
export const GROUPS: Record<string, string> = {
  auth: "tokens: print one, show status",
  env: "environments: list, show resolved config",
};

export type InjectedContext = Pick<CommandContext, "deps" | "log" | "globals" | "offerLogin">;
