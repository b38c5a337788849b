/**
 * `lmi completions bash|zsh|fish`: a completion script for the shell, built from the command
 * table (commands, subcommands, flags) and completing env names from `lmi env list --json`.
 *
 * @module
 */
import { q, UsageError } from "../errors.ts";
import {
  type CommandArgs,
  type CommandContext,
  COMMANDS,
  GLOBAL_OPTIONS,
  GROUPS,
  type OptionSpec,
} from "./spec.ts";

export const SHELLS = ["bash", "zsh", "fish"] as const;

export interface CompletionsOptions {
  shell: typeof SHELLS[number];
}

function flagsOf(options: Record<string, OptionSpec>): string[] {
  return Object.entries(options).flatMap((
    [name, o],
  ) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]);
}

const ENV_NAMES = `lmi env list --json 2>/dev/null | sed -n 's/^ *"name": "\\(.*\\)",$/\\1/p'`;

/** Words that may follow `lmi` / `lmi <group>`, and each command's flags. */
function table() {
  const top = [...new Set(COMMANDS.map((c) => c.path[0]!)), "help"];
  const subs: Record<string, string[]> = {};
  for (const c of COMMANDS) if (c.path.length === 2) (subs[c.path[0]!] ??= []).push(c.path[1]!);
  const flags: Record<string, string[]> = {};
  for (const c of COMMANDS) {
    flags[c.path.join(" ")] = [...flagsOf(c.options), ...flagsOf(GLOBAL_OPTIONS)];
  }
  for (const g of Object.keys(GROUPS)) flags[g] ??= flagsOf(GLOBAL_OPTIONS);
  flags[""] = flagsOf(GLOBAL_OPTIONS);
  return { top, subs, flags, fileArgs: fileArgCommands() };
}

/** One-word commands whose argument is a file (`lmi trust PATH`). */
function fileArgCommands(): string[] {
  return COMMANDS.filter((c) => c.path.length === 1 && c.positionals.names === "PATH")
    .map((c) => c.path[0]!);
}

export function bash(): string {
  const { top, subs, flags, fileArgs } = table();
  const cases = Object.entries(flags).map(([k, v]) => `    "${k}") flags="${v.join(" ")}" ;;`).join(
    "\n",
  );
  const subCases = Object.entries(subs).map(([k, v]) => `    ${k}) words="${v.join(" ")}" ;;`).join(
    "\n",
  );
  return `# lmi completion for bash: source <(lmi completions bash)
_lmi() {
  local cur prev cmd="" sub="" words flags i w
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
    -e|--env) COMPREPLY=( $(compgen -W "$(${ENV_NAMES})" -- "$cur") ); return ;;
    -c|--config|-d|--data) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -e|--env|-c|--config) ((i++)); continue ;; -*) continue ;; esac
    if [[ -z "$cmd" ]]; then cmd="$w"; elif [[ -z "$sub" ]]; then sub="$w"; fi
  done
  if [[ "$cur" == -* ]]; then
    case "$cmd\${sub:+ $sub}" in
${cases}
      *) flags="${flagsOf(GLOBAL_OPTIONS).join(" ")}" ;;
    esac
    COMPREPLY=( $(compgen -W "$flags" -- "$cur") ); return
  fi
  if [[ -z "$cmd" ]]; then COMPREPLY=( $(compgen -W "${top.join(" ")}" -- "$cur") ); return; fi
  case "$cmd" in ${fileArgs.join("|")}) COMPREPLY=( $(compgen -f -- "$cur") ); return ;; esac
  if [[ -z "$sub" ]]; then
    case "$cmd" in
${subCases}
      *) words="" ;;
    esac
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  fi
}
complete -F _lmi lmi
`;
}

export function zsh(): string {
  return `#compdef lmi
# lmi completion for zsh: source <(lmi completions zsh)
autoload -U +X bashcompinit && bashcompinit
${bash().replace(/^# lmi completion for bash.*\n/, "")}`;
}

export function fish(): string {
  const { subs } = table();
  const lines = [
    "# lmi completion for fish: lmi completions fish | source",
    "complete -c lmi -f",
    `complete -c lmi -s e -l env -x -a "(${ENV_NAMES})" -d "environment"`,
    `complete -c lmi -s c -l config -r -d "config file"`,
  ];
  for (const [name, o] of Object.entries<OptionSpec>(GLOBAL_OPTIONS)) {
    if (name === "env" || name === "config") continue;
    lines.push(`complete -c lmi ${o.short ? `-s ${o.short} ` : ""}-l ${name} -d ${q(o.desc)}`);
  }
  const topLevel = COMMANDS.filter((c) => !(c.path[0]! in GROUPS) || c.path.length === 1);
  const firsts = new Map<string, string>();
  for (const c of topLevel) if (!firsts.has(c.path[0]!)) firsts.set(c.path[0]!, c.summary);
  for (const [g, d] of Object.entries(GROUPS)) firsts.set(g, d);
  for (const [word, desc] of firsts) {
    lines.push(`complete -c lmi -n __fish_use_subcommand -a ${word} -d ${q(desc)}`);
  }
  for (const [group, words] of Object.entries(subs)) {
    for (const w of words) {
      const spec = COMMANDS.find((c) => c.path.join(" ") === `${group} ${w}`)!;
      lines.push(
        `complete -c lmi -n "__fish_seen_subcommand_from ${group}" -a ${w} -d ${q(spec.summary)}`,
      );
      for (const [name, o] of Object.entries(spec.options)) {
        lines.push(
          `complete -c lmi -n "__fish_seen_subcommand_from ${w}" ${
            o.short ? `-s ${o.short} ` : ""
          }-l ${name}${o.type === "string" ? " -r" : ""} -d ${q(o.desc)}`,
        );
      }
    }
  }
  lines.push(`complete -c lmi -n "__fish_seen_subcommand_from ${fileArgCommands().join(" ")}" -F`);
  for (const c of COMMANDS.filter((c) => c.path.length === 1)) {
    for (const [name, o] of Object.entries(c.options)) {
      lines.push(
        `complete -c lmi -n "__fish_seen_subcommand_from ${c.path[0]}" ${
          o.short ? `-s ${o.short} ` : ""
        }-l ${name}${o.type === "string" ? " -r" : ""} -d ${q(o.desc)}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

/** The command line → options (no I/O). */
export function parseOptions(
  _flags: unknown,
  { positionals }: Pick<CommandArgs, "positionals">,
): CompletionsOptions {
  const shell = SHELLS.find((s) => s === positionals[0]);
  if (shell === undefined) {
    throw new UsageError("BAD_ARGUMENTS", `unknown shell ${q(positionals[0])}`, {
      hint: `use one of ${SHELLS.join(", ")}`,
    });
  }
  return { shell };
}

export async function run(options: CompletionsOptions, ctx: CommandContext): Promise<number> {
  await ctx.deps.stdout.write({ bash, zsh, fish }[options.shell]());
  return 0;
}
