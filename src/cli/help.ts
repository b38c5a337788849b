/**
 * Help text: the program's overview, a group's commands, one command's usage and flags.
 *
 * @module
 */
import { VERSION } from "../version.ts";
import { COMMANDS, type CommandSpec, GLOBAL_OPTIONS, GROUPS, type OptionSpec } from "./spec.ts";

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${name}${o.arg ? ` ${o.arg}` : ""}`;
    return [flag, o.desc] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`);
}

function commandLines(specs: CommandSpec[]): string[] {
  const rows = specs.map((c) => [c.path.join(" "), c.summary] as const);
  const width = Math.max(...rows.map(([n]) => n.length));
  return rows.map(([n, s]) => `  ${n.padEnd(width)}  ${s}`);
}

/** `lmi --help`. `extra` lists further commands (plugins) as [name, summary]. */
export function mainHelp(extra: Array<[string, string]> = []): string {
  const lines = [
    `lmi ${VERSION}: sign in to OAuth 2.0 / OpenID Connect providers, keep tokens cached and fresh`,
    "",
    "Usage: lmi [GLOBAL FLAGS] COMMAND [FLAGS]",
    "",
    "Commands:",
    ...commandLines(COMMANDS),
  ];
  if (extra.length > 0) {
    const width = Math.max(...extra.map(([n]) => n.length));
    lines.push(
      "",
      "Plugins (lmi-NAME on PATH):",
      ...extra.map(([n, s]) => `  ${n.padEnd(width)}  ${s}`),
    );
  }
  lines.push(
    "",
    "Global flags (before or after the command):",
    ...optionLines(GLOBAL_OPTIONS),
    "",
    'Run "lmi COMMAND --help" for a command\'s flags.',
    "Exit codes: 0 ok, 1 failed, 2 usage, 3 config, 4 authentication, 5 network, 130 interrupted.",
  );
  return lines.join("\n") + "\n";
}

/** `lmi auth --help`. */
export function groupHelp(group: string): string {
  const specs = COMMANDS.filter((c) => c.path[0] === group && c.path.length > 1);
  return [
    `lmi ${group}: ${GROUPS[group] ?? ""}`,
    "",
    `Usage: lmi ${group} COMMAND [FLAGS]`,
    "",
    "Commands:",
    ...commandLines(specs),
    "",
    `Run "lmi ${group} COMMAND --help" for a command's flags.`,
  ].join("\n") + "\n";
}

/** `lmi auth token --help`. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [
    `${spec.summary[0]!.toUpperCase()}${spec.summary.slice(1)}.`,
    "",
    `Usage: ${spec.usage}`,
  ];
  if (spec.aliases?.length) {
    lines.push(`Alias: ${spec.aliases.map((a) => `lmi ${a.join(" ")}`).join(", ")}`);
  }
  if (spec.description) lines.push("", spec.description);
  if (Object.keys(spec.options).length > 0) lines.push("", "Flags:", ...optionLines(spec.options));
  lines.push("", "Global flags:", ...optionLines(GLOBAL_OPTIONS));
  return lines.join("\n") + "\n";
}
