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

type Scalar<T extends FlagSpec["type"]> = T extends "boolean" ? boolean : string;

/**
 * The value a flag parses to: a repeatable flag gives a list (empty when absent), a boolean
 * `true` or `false`, a string flag its value or `undefined`. For the general `FlagSpec`, any.
 */
export type FlagValue<S extends FlagSpec> = S extends { multiple: true } ? Scalar<S["type"]>[]
  : S extends { type: "boolean"; multiple?: false } ? boolean
  : S extends { type: "string"; multiple?: false } ? string | undefined
  : Scalar<S["type"]> | Scalar<S["type"]>[] | undefined;

/**
 * The values parsed against `specs`, one key per flag typed by its spec: declare the specs
 * `as const` and `Flags<typeof SPECS>` gives `{ force: boolean; header: string[]; format:
 * string | undefined }`, so reading a flag the spec does not declare is a type error.
 */
export type Flags<O extends Record<string, FlagSpec>> = {
  readonly [K in keyof O]: FlagValue<O[K]>;
};

export type FlagErrorCode = "UNKNOWN_FLAG" | "MISSING_VALUE" | "UNEXPECTED_VALUE";

export class FlagError extends Error {
  override name = "FlagError";
  constructor(readonly code: FlagErrorCode, readonly flag: string) {
    super(`${code}: ${flag}`);
  }
}

export interface ParsedFlags<O extends Record<string, FlagSpec>> {
  values: Flags<O>;
  positionals: string[];
}

/** Parse `tokens` against `specs`. Throws {@link FlagError}. */
export function parseFlags<O extends Record<string, FlagSpec>>(
  tokens: string[],
  specs: O,
): ParsedFlags<O> {
  const values: Record<string, string | boolean | Array<string | boolean> | undefined> = {};
  for (const [name, spec] of Object.entries(specs)) {
    values[name] = spec.multiple ? [] : spec.type === "boolean" ? false : undefined;
  }
  const positionals: string[] = [];
  const byShort = new Map(
    Object.entries(specs).flatMap(([name, s]) => s.short ? [[s.short, name]] : []),
  );
  const set = (name: string, value: string | boolean) => {
    const previous = values[name];
    if (specs[name]!.multiple) {
      values[name] = Array.isArray(previous) ? [...previous, value] : [value];
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
  // Every key of `specs` is set, as its spec says (a string or a boolean, a list if repeatable).
  return { values: values as Flags<O>, positionals };
}
