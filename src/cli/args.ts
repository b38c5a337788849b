/**
 * Parsing the command line: find the command (global flags may stand before or after it), then
 * parse the rest strictly with the command's flags plus the global ones. Pure: no environment,
 * no I/O.
 *
 * @module
 */
import { FlagError, parseFlags } from "./flags.ts";
import { q, UsageError } from "../errors.ts";
import { nearest } from "../config/schema.ts";
import {
  COMMANDS,
  type CommandSpec,
  type Flags,
  GLOBAL_OPTIONS,
  type GlobalFlags,
  GROUPS,
  type Options,
  type OptionSpec,
} from "./spec.ts";

export type Invocation =
  | {
    kind: "command";
    spec: CommandSpec;
    globals: GlobalFlags;
    flags: Flags<Options>;
    positionals: string[];
  }
  | { kind: "help"; topic: CommandSpec | string | undefined; globals: GlobalFlags }
  | { kind: "version"; globals: GlobalFlags }
  | { kind: "plugin"; name: string; args: string[]; globals: GlobalFlags };

const VALUE_FLAGS = new Set(
  Object.entries<OptionSpec>(GLOBAL_OPTIONS).flatMap(([name, o]) =>
    o.type === "string" ? [`--${name}`, ...(o.short ? [`-${o.short}`] : [])] : []
  ),
);

/** Does this token name a global flag? (`--env`, `--env=x`, `-e`, `-edev`, `-vv`) */
function isGlobalFlag(token: string): boolean {
  if (token.startsWith("--")) return (token.slice(2).split("=")[0]!) in GLOBAL_OPTIONS;
  const shorts = new Set(Object.values<OptionSpec>(GLOBAL_OPTIONS).map((o) => o.short));
  return token.length > 1 && shorts.has(token[1]);
}

/** Global flags found before the command word, and the index of that word. */
function scanLeading(
  args: string[],
  from: number,
  strict = true,
): { globals: string[]; next: number } {
  const globals: string[] = [];
  let i = from;
  while (i < args.length) {
    const t = args[i]!;
    if (t === "--" || !t.startsWith("-") || t === "-") break;
    if (!isGlobalFlag(t)) {
      if (!strict) return { globals: [], next: args.length };
      throw new UsageError("UNKNOWN_FLAG", `unknown flag ${q(t)} before the command`, {
        hint: "put command flags after the command, e.g. lmi auth token --format json",
      });
    }
    globals.push(t);
    if (VALUE_FLAGS.has(t) && i + 1 < args.length) {
      globals.push(args[i + 1]!);
      i++;
    }
    i++;
  }
  return { globals, next: i };
}

function findSpec(words: string[]): CommandSpec | undefined {
  const key = words.join(" ");
  return COMMANDS.find((c) =>
    c.path.join(" ") === key || c.aliases?.some((a) => a.join(" ") === key)
  );
}

export function commandNames(): string[] {
  return COMMANDS.flatMap((c) => [c.path.join(" "), ...(c.aliases ?? []).map((a) => a.join(" "))]);
}

/** Parse `args` (without the program name). */
export function parseInvocation(args: string[]): Invocation {
  const lead = scanLeading(args, 0);
  let i = lead.next;
  const word = args[i];
  const before = lead.globals;
  if (word === undefined || word === "--") {
    const globals = parseGlobals(before);
    if (hasFlag(before, "version", "V")) return { kind: "version", globals };
    return { kind: "help", topic: undefined, globals };
  }
  if (word === "help") {
    const rest = args.slice(i + 1).filter((a) => !a.startsWith("-"));
    return { kind: "help", topic: findSpec(rest) ?? rest[0], globals: parseGlobals(before) };
  }
  let words = [word];
  i++;
  const hasOptionalSub = COMMANDS.some((c) => c.path.length === 2 && c.path[0] === word) &&
    !(word in GROUPS);
  const optionalSub = hasOptionalSub ? scanLeading(args, i, false) : undefined;
  const maybeSub = optionalSub ? args[optionalSub.next] : undefined;
  if (optionalSub && maybeSub !== undefined && findSpec([word, maybeSub])) {
    // `lmi login sso`, `lmi logout sso`: a command with an optional subcommand.
    before.push(...optionalSub.globals);
    words = [word, maybeSub];
    i = optionalSub.next + 1;
  } else if (word in GROUPS) {
    const inner = scanLeading(args, i);
    const sub = args[inner.next];
    before.push(...inner.globals);
    if (sub !== undefined && !sub.startsWith("-") && findSpec([word, sub])) {
      words = [word, sub];
      i = inner.next + 1;
    } else if (sub === undefined || sub.startsWith("-")) {
      if (hasFlag([...before, ...args.slice(i)], "help", "h") || sub === undefined) {
        return { kind: "help", topic: word, globals: parseGlobals(before) };
      }
      throw new UsageError("MISSING_SUBCOMMAND", `"lmi ${word}" needs a subcommand`, {
        hint: `run "lmi ${word} --help" to list them`,
      });
    } else {
      const subs = COMMANDS.filter((c) => c.path[0] === word).map((c) => c.path[1]!);
      const near = nearest(sub, subs);
      throw new UsageError("UNKNOWN_COMMAND", `unknown command "lmi ${word} ${sub}"`, {
        hint: near ? `did you mean "lmi ${word} ${near}"?` : `commands: ${subs.join(", ")}`,
      });
    }
  }
  const spec = findSpec(words);
  if (!spec) {
    if (/^[a-z0-9][a-z0-9_-]*$/.test(word)) {
      // Not one of ours: a plugin (lmi-NAME on PATH) gets every argument after its name.
      return { kind: "plugin", name: word, args: args.slice(i), globals: parseGlobals(before) };
    }
    const near = nearest(word, [...commandNames(), ...Object.keys(GROUPS), "help"]);
    throw new UsageError("UNKNOWN_COMMAND", `unknown command ${q(word)}`, {
      hint: near
        ? `did you mean "lmi ${near}"? (run "lmi --help" for all commands)`
        : 'run "lmi --help" for all commands',
    });
  }
  const rest = [...before, ...args.slice(i)];
  if (hasFlag(rest, "help", "h")) {
    return { kind: "help", topic: spec, globals: parseGlobals(before) };
  }
  const { values, positionals } = parseStrict(rest, { ...GLOBAL_OPTIONS, ...spec.options }, spec);
  if (positionals.length < spec.positionals.min || positionals.length > spec.positionals.max) {
    const extra = positionals[spec.positionals.max];
    throw new UsageError(
      "BAD_ARGUMENTS",
      extra !== undefined
        ? `unexpected argument ${q(extra)}`
        : `missing argument ${spec.positionals.names ?? ""}`.trim(),
      { hint: `usage: ${spec.usage}` },
    );
  }
  return { kind: "command", spec, globals: toGlobals(values), flags: values, positionals };
}

function hasFlag(tokens: string[], long: string, short: string): boolean {
  for (const t of tokens) {
    if (t === "--") return false;
    if (t === `--${long}` || t === `-${short}`) return true;
  }
  return false;
}

function parseGlobals(tokens: string[]): GlobalFlags {
  return toGlobals(parseStrict(tokens, GLOBAL_OPTIONS, undefined).values);
}

function parseStrict<O extends Options>(
  tokens: string[],
  options: O,
  spec: CommandSpec | undefined,
): { values: Flags<O>; positionals: string[] } {
  try {
    return parseFlags(tokens, options);
  } catch (err) {
    throw usageFromFlagError(err, options, spec);
  }
}

function usageFromFlagError(
  err: unknown,
  options: Options,
  spec?: CommandSpec,
): unknown {
  if (!(err instanceof FlagError)) return err;
  const helpHint = spec ? `run "lmi ${spec.path.join(" ")} --help"` : 'run "lmi --help"';
  switch (err.code) {
    case "UNKNOWN_FLAG": {
      const near = err.flag.startsWith("--")
        ? nearest(err.flag.slice(2), Object.keys(options))
        : undefined;
      return new UsageError("UNKNOWN_FLAG", `unknown flag ${q(err.flag)}`, {
        hint: near ? `did you mean "--${near}"? ${helpHint}` : helpHint,
      });
    }
    case "MISSING_VALUE":
      return new UsageError("BAD_FLAG_VALUE", `flag ${q(err.flag)} needs a value`, {
        hint: helpHint,
      });
    case "UNEXPECTED_VALUE":
      return new UsageError("BAD_FLAG_VALUE", `flag ${q(err.flag)} takes no value`, {
        hint: helpHint,
      });
  }
}

function toGlobals(values: Flags<typeof GLOBAL_OPTIONS>): GlobalFlags {
  const g: GlobalFlags = {
    verbose: values.verbose.length,
    json: values.json,
    noColor: values["no-color"],
  };
  if (values.env !== undefined) g.env = values.env;
  if (values.config !== undefined) g.config = values.config;
  return g;
}
