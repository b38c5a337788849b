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
  /** Whether its variables may be settings (see {@link VarLookup.setting}). */
  settings: boolean;
}

export interface VarLookup {
  /** A variable's value: the process environment, then the .env files. */
  get(name: string): { value: string; source: Source } | undefined;
  /**
   * A variable that decides where lmi goes or what it reads (`LMI_TOKEN_URL`,
   * `LMI_SUBJECT_TOKEN_FILE`…): the process environment, then only the .env files of folders the
   * user trusts as a whole. A `.env` in a repository cannot send a secret to its own host.
   */
  setting(name: string): { value: string; source: Source } | undefined;
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
  /** The folders among `dirs` whose .env files may hold settings, not only values. */
  settingDirs: readonly string[] = [],
): VarLookup {
  const unique = [...new Set(dirs.map((d) => resolve(deps.cwd, d)))];
  const settingSet = new Set(settingDirs.map((d) => resolve(deps.cwd, d)));
  const paths = [
    ...unique.map((d) => [d, join(d, `.env.${envName}`)] as const),
    ...unique.map((d) => [d, join(d, ".env")] as const),
  ];
  const layers: Layer[] = [];
  for (const [dir, path] of paths) {
    let file;
    try {
      file = readSmallFile(path);
    } catch {
      continue;
    }
    if ("text" in file) {
      layers.push({ path, vars: parseDotenv(file.text), settings: settingSet.has(dir) });
    } else if (file.refused !== NOT_A_FILE) {
      throw new ConfigError("DOTENV_UNREADABLE", `cannot read ${path}: ${file.refused}`, {
        hint: "a .env file holds a few variables; remove or shorten it",
      });
    }
  }
  let unread: string[] | undefined;
  return {
    files: layers.map((l) => l.path),
    unread: () =>
      unread ??= unreadDir === undefined
        ? []
        : [join(unreadDir, `.env.${envName}`), join(unreadDir, ".env")].filter(exists),
    get: (name) => find(name, layers),
    setting: (name) => find(name, layers.filter((l) => l.settings)),
  };

  function find(name: string, from: readonly Layer[]) {
    const fromProcess = deps.env(name);
    if (fromProcess !== undefined) {
      return { value: fromProcess, source: { kind: "env", detail: name } as Source };
    }
    for (const layer of from) {
      // Own keys only: "constructor" is no variable a .env set.
      const value = Object.hasOwn(layer.vars, name) ? layer.vars[name] : undefined;
      if (typeof value === "string") {
        return { value, source: { kind: "dotenv", detail: `${name} in ${layer.path}` } as Source };
      }
    }
    return undefined;
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** What to say of `.env` files that were not read because their folder is not trusted. */
export function unreadDotenvNote(files: readonly string[]): string {
  if (files.length === 0) return "";
  return `; ${files.join(" and ")} ${files.length > 1 ? "were" : "was"} not read: the current ` +
    "folder is not trusted (add it to LMI_TRUSTED_PATHS)";
}
