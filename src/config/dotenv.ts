/**
 * Variable lookup for `*_env` references: the process environment, then `.env.<env>`, then
 * `.env` (each beside the config file, then in the current directory). Every answer says where
 * it came from.
 *
 * @module
 */
import { join, resolve } from "../util/path.ts";
import { parseDotenv } from "./dotenv_parse.ts";
import type { Deps } from "../context.ts";
import { ConfigError } from "../errors.ts";
import { NOT_A_FILE, readSmallFile } from "./small_file.ts";

export interface Source {
  kind: "flag" | "argument" | "env" | "dotenv" | "file" | "default";
  /** Flag name, variable name, or file path. */
  detail?: string;
}

export function formatSource(source: Source): string {
  switch (source.kind) {
    case "flag":
      return `flag ${source.detail}`;
    case "argument":
      return "argument";
    case "env":
      return `env var ${source.detail}`;
    case "dotenv":
    case "file":
      return source.detail ?? source.kind;
    case "default":
      return "default";
  }
}

interface Layer {
  path: string;
  vars: Record<string, string | undefined>;
}

export interface VarLookup {
  get(name: string): { value: string; source: Source } | undefined;
  /** The .env files that were read, strongest first. */
  files: string[];
  /** The .env files of the current folder that exist but were not read (not trusted ground). */
  unread(): string[];
}

/**
 * Read `.env.<env>` and `.env` from the given folders. A missing or unreadable one, or one that is
 * not a file (a `.env/` virtualenv folder), adds nothing; one over the size limit is a ConfigError.
 */
export function loadVarLookup(
  deps: Pick<Deps, "env" | "cwd">,
  dirs: string[],
  envName: string,
  /** A folder whose .env files are not read (src/config/trust.ts → dotenvFolders). */
  unreadDir?: string,
): VarLookup {
  const unique = [...new Set(dirs.map((d) => resolve(deps.cwd, d)))];
  const paths = [
    ...unique.map((d) => join(d, `.env.${envName}`)),
    ...unique.map((d) => join(d, ".env")),
  ];
  const layers: Layer[] = [];
  for (const path of paths) {
    let file;
    try {
      file = readSmallFile(path);
    } catch {
      continue;
    }
    if ("text" in file) layers.push({ path, vars: parseDotenv(file.text) });
    else if (file.refused !== NOT_A_FILE) {
      throw new ConfigError("DOTENV_UNREADABLE", `cannot read ${path}: ${file.refused}`, {
        hint: "a .env file holds a few variables; remove or shorten it",
      });
    }
  }
  return {
    files: layers.map((l) => l.path),
    unread: () =>
      unreadDir === undefined
        ? []
        : [join(unreadDir, `.env.${envName}`), join(unreadDir, ".env")].filter(exists),
    get(name) {
      const fromProcess = deps.env(name);
      if (fromProcess !== undefined) {
        return { value: fromProcess, source: { kind: "env", detail: name } };
      }
      for (const layer of layers) {
        const value = layer.vars[name];
        if (value !== undefined) {
          return { value, source: { kind: "dotenv", detail: `${name} in ${layer.path}` } };
        }
      }
      return undefined;
    },
  };
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
