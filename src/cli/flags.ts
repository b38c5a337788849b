/**
 * A strict flag parser: long flags (`--env dev`, `--env=dev`), short flags and groups (`-e dev`,
 * `-edev`, `-vv`), booleans, repeatable flags, and `--` to end flags.
 *
 * Written here rather than using `node:util`'s parseArgs because importing any `node:` module
 * starts Deno's Node compatibility layer, measured at 8 ms or more on every run: a third of the
 * warm `lmi auth token` budget.
 *
 * @module
 */

export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
}

export type FlagErrorCode = "UNKNOWN_FLAG" | "MISSING_VALUE" | "UNEXPECTED_VALUE";

export class FlagError extends Error {
  override name = "FlagError";
  constructor(readonly code: FlagErrorCode, readonly flag: string) {
    super(`${code}: ${flag}`);
  }
}

export interface ParsedFlags {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/** Parse `tokens` against `specs`. Throws {@link FlagError}. */
export function parseFlags(tokens: string[], specs: Record<string, FlagSpec>): ParsedFlags {
  const values: ParsedFlags["values"] = {};
  const positionals: string[] = [];
  const byShort = new Map(
    Object.entries(specs).flatMap(([name, s]) => s.short ? [[s.short, name]] : []),
  );
  const set = (name: string, value: string | boolean) => {
    const spec = specs[name]!;
    if (spec.multiple) {
      const list = (values[name] as Array<string | boolean> | undefined) ?? [];
      list.push(value);
      values[name] = list as string[] | boolean[];
    } else values[name] = value;
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === "--") {
      positionals.push(...tokens.slice(i + 1));
      break;
    }
    if (token.startsWith("--")) {
      const eq = token.indexOf("=");
      const name = eq < 0 ? token.slice(2) : token.slice(2, eq);
      const spec = specs[name];
      if (!spec) throw new FlagError("UNKNOWN_FLAG", `--${name}`);
      if (spec.type === "boolean") {
        if (eq >= 0) throw new FlagError("UNEXPECTED_VALUE", `--${name}`);
        set(name, true);
      } else if (eq >= 0) set(name, token.slice(eq + 1));
      else {
        if (i + 1 >= tokens.length) throw new FlagError("MISSING_VALUE", `--${name}`);
        set(name, tokens[++i]!);
      }
      continue;
    }
    if (token.startsWith("-") && token.length > 1) {
      for (let j = 1; j < token.length; j++) {
        const name = byShort.get(token[j]!);
        if (!name) throw new FlagError("UNKNOWN_FLAG", `-${token[j]}`);
        if (specs[name]!.type === "boolean") {
          set(name, true);
          continue;
        }
        const rest = token.slice(j + 1).replace(/^=/, "");
        if (rest !== "") set(name, rest);
        else if (i + 1 < tokens.length) set(name, tokens[++i]!);
        else throw new FlagError("MISSING_VALUE", `--${name}`);
        break;
      }
      continue;
    }
    positionals.push(token);
  }
  return { values, positionals };
}
