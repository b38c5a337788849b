/**
 * `lmi completions bash|zsh|fish|powershell`: a completion script for the shell, built from the
 * command table (commands, subcommands, flags). Env names (after `--env` and `lmi env show`) and
 * SSO provider names (after `lmi login sso` and `lmi logout sso`) come from `lmi env list
 * --json`, its `envs` and `sso_providers` lists.
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

export const SHELLS = ["bash", "zsh", "fish", "powershell"] as const;

export interface CompletionsOptions {
  shell: typeof SHELLS[number];
}

function flagsOf(options: Record<string, OptionSpec>): string[] {
  return Object.entries(options).flatMap((
    [name, o],
  ) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]);
}

/**
 * The names in one list of `lmi env list --json` (`envs` or `sso_providers`), for POSIX shells:
 * sed reads the pretty-printed JSON between the list's first line and its closing bracket.
 * Quoted for a single-quoted shell word (names are `[a-z0-9_-]`: nothing to escape).
 */
function namesSed(list: "envs" | "sso_providers"): string {
  return `lmi env list --json 2>/dev/null | sed -n '/^  "${list}": \\[$/,/^  \\]/s/^      "name": "\\(.*\\)",$/\\1/p'`;
}

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
  return {
    top,
    subs,
    flags,
    fileArgs: fileArgCommands(),
    providerArgs: providerArgCommands(),
    envArgs: envArgCommands(),
  };
}

/** One-word commands whose argument is a file (`lmi trust PATH`). */
function fileArgCommands(): string[] {
  return COMMANDS.filter((c) => c.path.length === 1 && c.positionals.names === "PATH")
    .map((c) => c.path[0]!);
}

/** Commands whose argument is an SSO provider's name (`lmi login sso NAME`). */
function providerArgCommands(): string[] {
  return COMMANDS.filter((c) => c.path[1] === "sso" && c.positionals.max > 0)
    .map((c) => c.path.join(" "));
}

/** Commands whose argument is an env's name (`lmi env show NAME`). */
function envArgCommands(): string[] {
  return COMMANDS.filter((c) => c.path[0] === "env" && c.positionals.names === "NAME")
    .map((c) => c.path.join(" "));
}

export function bash(): string {
  const { top, subs, flags, fileArgs, providerArgs, envArgs } = table();
  const cases = Object.entries(flags).map(([k, v]) => `    "${k}") flags="${v.join(" ")}" ;;`).join(
    "\n",
  );
  const subCases = Object.entries(subs).map(([k, v]) => `    ${k}) words="${v.join(" ")}" ;;`).join(
    "\n",
  );
  const quoted = (commands: string[]) => commands.map((c) => `"${c}"`).join("|");
  return `# lmi completion for bash: source <(lmi completions bash)
_lmi_envs() { ${namesSed("envs")}; }
_lmi_providers() { ${namesSed("sso_providers")}; }
_lmi() {
  local cur prev cmd="" sub="" n=0 words flags i w
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
    -e|--env) COMPREPLY=( $(compgen -W "$(_lmi_envs)" -- "$cur") ); return ;;
    -c|--config|-d|--data) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -e|--env|-c|--config) ((i++)); continue ;; -*) continue ;; esac
    if [[ -z "$cmd" ]]; then cmd="$w"; elif [[ -z "$sub" ]]; then sub="$w"; else ((n++)); fi
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
    COMPREPLY=( $(compgen -W "$words" -- "$cur") ); return
  fi
  if ((n == 0)); then
    case "$cmd $sub" in
      ${quoted(providerArgs)}) COMPREPLY=( $(compgen -W "$(_lmi_providers)" -- "$cur") ) ;;
      ${quoted(envArgs)}) COMPREPLY=( $(compgen -W "$(_lmi_envs)" -- "$cur") ) ;;
    esac
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

/** A fish condition: the command line holds each of `words` and none of `not`. */
function seen(words: string[], not: string[] = []): string {
  return `"${
    [
      ...words.map((w) => `__fish_seen_subcommand_from ${w}`),
      ...(not.length ? [`not __fish_seen_subcommand_from ${not.join(" ")}`] : []),
    ].join("; and ")
  }"`;
}

export function fish(): string {
  const { subs, providerArgs, envArgs } = table();
  const lines = [
    "# lmi completion for fish: lmi completions fish | source",
    "function __lmi_envs",
    `    ${namesSed("envs")}`,
    "end",
    "function __lmi_providers",
    `    ${namesSed("sso_providers")}`,
    "end",
    "complete -c lmi -f",
    `complete -c lmi -s e -l env -x -a "(__lmi_envs)" -d "environment"`,
    `complete -c lmi -s c -l config -r -F -d "config file"`,
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
      lines.push(`complete -c lmi -n ${seen([group], words)} -a ${w} -d ${q(spec.summary)}`);
      for (const [name, o] of Object.entries(spec.options)) {
        lines.push(
          `complete -c lmi -n ${seen([group, w])} ${o.short ? `-s ${o.short} ` : ""}-l ${name}${
            o.type === "string" ? " -r" : ""
          } -d ${q(o.desc)}`,
        );
      }
    }
  }
  for (const c of providerArgs) {
    lines.push(`complete -c lmi -n ${seen(c.split(" "))} -a "(__lmi_providers)" -d "SSO provider"`);
  }
  for (const c of envArgs) {
    lines.push(`complete -c lmi -n ${seen(c.split(" "))} -a "(__lmi_envs)" -d "environment"`);
  }
  lines.push(`complete -c lmi -n "__fish_seen_subcommand_from ${fileArgCommands().join(" ")}" -F`);
  for (const c of COMMANDS.filter((c) => c.path.length === 1)) {
    // `lmi logout --all`, not `lmi logout sso`'s own --all
    const condition = seen(c.path, subs[c.path[0]!] ?? []);
    for (const [name, o] of Object.entries(c.options)) {
      lines.push(
        `complete -c lmi -n ${condition} ${o.short ? `-s ${o.short} ` : ""}-l ${name}${
          o.type === "string" ? " -r" : ""
        } -d ${q(o.desc)}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

/** A PowerShell single-quoted string. */
function psString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function psArray(words: readonly string[]): string {
  return `@(${words.map(psString).join(", ")})`;
}

function psTable(entries: Record<string, readonly string[]>): string {
  return `@{\n${
    Object.entries(entries).map(([k, v]) => `        ${psString(k)} = ${psArray(v)}`).join("\n")
  }\n    }`;
}

/**
 * PowerShell (7, and Windows PowerShell 5.1): a native-command argument completer. Names come
 * from `lmi env list --json` through ConvertFrom-Json; where a file is expected it returns
 * nothing, so PowerShell completes paths.
 */
export function powershell(): string {
  const { top, subs, flags, fileArgs, providerArgs, envArgs } = table();
  return `# lmi completion for PowerShell: lmi completions powershell | Out-String | Invoke-Expression
# (add that line to $PROFILE to keep it)
Register-ArgumentCompleter -Native -CommandName 'lmi', 'lmi.exe' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $top = ${psArray(top)}
    $subs = ${psTable(subs)}
    $flags = ${psTable(flags)}
    $fileArgs = ${psArray(fileArgs)}
    $providerArgs = ${psArray(providerArgs)}
    $envArgs = ${psArray(envArgs)}
    $listed = {
        param($list)
        try {
            $doc = (& lmi env list --json 2>$null) | Out-String | ConvertFrom-Json
            @($doc.$list | ForEach-Object { $_.name })
        } catch { @() }
    }
    # The words before the one being completed (an element ending at the cursor is that word).
    $words = @($commandAst.CommandElements | Select-Object -Skip 1 |
        Where-Object { $_.Extent.EndOffset -lt $cursorPosition } | ForEach-Object { $_.ToString() })
    $prev = if ($words.Count -gt 0) { $words[-1] } else { '' }
    $cmd = ''; $sub = ''; $n = 0; $skip = $false
    foreach ($w in $words) {
        if ($skip) { $skip = $false; continue }
        if ($w -in '-e', '--env', '-c', '--config') { $skip = $true; continue }
        if ($w.StartsWith('-')) { continue }
        if (-not $cmd) { $cmd = $w }
        elseif (-not $sub -and $subs.ContainsKey($cmd) -and $subs[$cmd] -contains $w) { $sub = $w }
        else { $n++ }
    }
    $key = (@($cmd, $sub) | Where-Object { $_ }) -join ' '
    $kind = 'ParameterValue'
    if ($prev -in '-e', '--env') { $candidates = & $listed 'envs' }
    elseif ($prev -in '-c', '--config', '-d', '--data') { return }
    elseif ($wordToComplete.StartsWith('-')) {
        $candidates = if ($flags.ContainsKey($key)) { $flags[$key] } else { $flags[''] }
        $kind = 'ParameterName'
    }
    elseif (-not $cmd) { $candidates = $top; $kind = 'Command' }
    elseif ($fileArgs -contains $cmd) { return }
    elseif (-not $sub -and $n -eq 0 -and $subs.ContainsKey($cmd)) { $candidates = $subs[$cmd] }
    elseif ($n -eq 0 -and $providerArgs -contains $key) { $candidates = & $listed 'sso_providers' }
    elseif ($n -eq 0 -and $envArgs -contains $key) { $candidates = & $listed 'envs' }
    else { $candidates = @() }
    $candidates | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {
        [System.Management.Automation.CompletionResult]::new($_, $_, $kind, $_)
    }
}
`;
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
  await ctx.deps.stdout.write({ bash, zsh, fish, powershell }[options.shell]());
  return 0;
}
