/**
 * Shell completion: the bash, zsh and fish scripts exercised in the real shells (env and SSO
 * provider names from `lmi env list --json`), and the PowerShell one checked for its structure
 * (no PowerShell here: Debian does not package it).
 */
import { join } from "../../src/util/path.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotIncludes,
  assertStringIncludes,
} from "../helpers/assert.ts";
import { type Sandbox, sandbox } from "../helpers/cli.ts";
import { lmiCommand } from "../../scripts/run_lmi.ts";
import { ignoreUnless, SH_SCRIPTS } from "../helpers/components.ts";
import { COMMANDS } from "../../src/cli/spec.ts";

const CONFIG = `[sso]
issuer = "https://idp.example"
client_id = "lmi"

[sso.lab]
issuer = "https://lab.example"
client_id = "lmi"

[sso.lab-eu]
issuer = "https://lab.example"
client_id = "lmi-eu"

[envs.dev]
[envs.prod]
sso = "lab"
[envs.prod.auth]
type = "sso"
[envs.staging-eu]
`;

/**
 * A sandbox with CONFIG and an `lmi` on PATH: `script(shell)` writes the completion script for
 * the shell, `shell(argv)` runs a shell in the sandbox's home and returns its stdout.
 */
async function completionWorld(): Promise<
  Sandbox & { script(shell: string): Promise<string>; shell(args: string[]): Promise<string> }
> {
  const box = await sandbox();
  await box.writeConfig(CONFIG);
  const bin = join(box.dir, "bin");
  await Deno.mkdir(bin);
  const { cmd, args } = lmiCommand([]);
  await Deno.writeTextFile(
    join(bin, "lmi"),
    `#!/bin/sh\nexec ${[cmd, ...args].map((a) => `'${a}'`).join(" ")} "$@"\n`,
  );
  await Deno.chmod(join(bin, "lmi"), 0o755);
  return Object.assign(box, {
    async script(shell: string) {
      const r = await box.run(["completions", shell]);
      assertEquals(r.code, 0, r.stderr);
      const file = join(box.dir, `lmi.${shell}`);
      await Deno.writeTextFile(file, r.stdout);
      return file;
    },
    async shell(args: string[]) {
      const out = await new Deno.Command(args[0]!, {
        args: args.slice(1),
        clearEnv: true,
        env: { ...box.env, PATH: `${bin}:${box.env.PATH}` },
        cwd: box.home,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder();
      assertEquals(out.code, 0, text.decode(out.stderr));
      return text.decode(out.stdout).trim();
    },
  });
}

/** bash's (and zsh's) completion function run on `words`, the last one being completed. */
function compLine(file: string, words: string[]): string {
  return `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${
    words.length - 1
  }; _lmi; echo "\${COMPREPLY[*]}"`;
}

const BASH = "lmi completions bash completes commands, subcommands, flags, envs and providers";
Deno.test({
  name: BASH,
  ignore: ignoreUnless(BASH, SH_SCRIPTS, { commands: ["bash"] }),
}, async () => {
  await using box = await completionWorld();
  const file = await box.script("bash");
  const complete = (words: string[]) => box.shell(["bash", "-c", compLine(file, words)]);
  assertEquals(await complete(["lmi", "au"]), "auth");
  assertEquals(await complete(["lmi", "auth", "t"]), "token");
  assertEquals(await complete(["lmi", "auth", "token", "--fo"]), "--format --force");
  assertEquals(await complete(["lmi", "login", "s"]), "sso");
  assertEquals(await complete(["lmi", "--env", ""]), "dev prod staging-eu");
  assertEquals(await complete(["lmi", "tr"]), "trust");
  assertEquals(await complete(["lmi", "untr"]), "untrust");
  assertEquals(await complete(["lmi", "trust", "lmi.t"]), "lmi.toml", "trust takes a file");
  assertEquals(await complete(["lmi", "login", "sso", ""]), "default lab lab-eu");
  assertEquals(await complete(["lmi", "logout", "sso", "la"]), "lab lab-eu");
  assertEquals(await complete(["lmi", "-e", "dev", "login", "sso", "d"]), "default");
  assertEquals(await complete(["lmi", "login", "sso", "lab", ""]), "", "one provider");
  assertEquals(await complete(["lmi", "logout", "sso", "--a"]), "--all");
  assertEquals(await complete(["lmi", "env", "show", "s"]), "staging-eu");
  assertEquals(await complete(["lmi", "completions", "--"]).then((r) => r.includes("--env")), true);
  assertEquals((await box.run(["completions", "tcsh"])).code, 2);
});

const ZSH = "lmi completions zsh: the bash completion under zsh's bashcompinit";
Deno.test({
  name: ZSH,
  ignore: ignoreUnless(ZSH, SH_SCRIPTS, { commands: ["zsh"] }),
}, async () => {
  await using box = await completionWorld();
  const file = await box.script("zsh");
  // bashcompinit runs bash completion functions emulating sh (0-based arrays).
  const complete = (words: string[]) =>
    box.shell([
      "zsh",
      "-c",
      `autoload -U compinit && compinit -u; emulate sh; ${compLine(file, words)}`,
    ]);
  assertEquals(await complete(["lmi", "login", "sso", ""]), "default lab lab-eu");
  // (zsh itself keeps the words that fit what was typed)
  assertEquals(await complete(["lmi", "--env", ""]), "dev prod staging-eu");
  assertEquals(await complete(["lmi", "auth", ""]), "token dpop-proof status");
});

const FISH = "lmi completions fish completes commands, flags, envs and providers";
Deno.test({
  name: FISH,
  ignore: ignoreUnless(FISH, SH_SCRIPTS, { commands: ["fish"] }),
}, async () => {
  await using box = await completionWorld();
  const file = await box.script("fish");
  await box.shell(["fish", "--no-execute", file]);
  const complete = async (line: string) =>
    (await box.shell(["fish", "-c", `source ${file}; complete -C '${line}'`])).split("\n")
      .map((l) => l.split("\t")[0]);
  assertEquals(await complete("lmi au"), ["auth"]);
  assertEquals(await complete("lmi auth "), ["dpop-proof", "status", "token"]);
  assertEquals(await complete("lmi --env "), ["dev", "prod", "staging-eu"]);
  assertEquals(await complete("lmi login sso "), ["default", "lab", "lab-eu"]);
  assertEquals(await complete("lmi logout sso la"), ["lab", "lab-eu"]);
  assertEquals(await complete("lmi env show st"), ["staging-eu"]);
  // `lmi logout sso`'s --all, not `lmi logout`'s: their descriptions differ
  assertMatch(
    await box.shell(["fish", "-c", `source ${file}; complete -C 'lmi logout sso --a'`]),
    /^--all\tsign out of every SSO provider$/,
  );
  assertEquals(await complete("lmi auth token --fo"), ["--force", "--format"]);
});

Deno.test("lmi completions powershell: a native argument completer for lmi", async (t) => {
  await using box = await sandbox();
  const r = await box.run(["completions", "powershell"]);
  assertEquals(r.code, 0, r.stderr);
  const text = r.stdout;

  await t.step("registered for lmi and lmi.exe, reading the words before the cursor", () => {
    assertStringIncludes(
      text,
      "Register-ArgumentCompleter -Native -CommandName 'lmi', 'lmi.exe' -ScriptBlock {",
    );
    assertStringIncludes(text, "param($wordToComplete, $commandAst, $cursorPosition)");
    assertStringIncludes(text, "$_.Extent.EndOffset -lt $cursorPosition");
    assertStringIncludes(text, "[System.Management.Automation.CompletionResult]::new(");
  });
  await t.step("every command, subcommand and flag of the command table", () => {
    const top = [...new Set(COMMANDS.map((c) => c.path[0]!))];
    assertStringIncludes(text, `$top = @(${[...top, "help"].map((w) => `'${w}'`).join(", ")})`);
    assertStringIncludes(text, "'auth' = @('token', 'dpop-proof', 'status')");
    assertStringIncludes(text, "'login' = @('sso')");
    const flagTable = text.slice(text.indexOf("$flags = @{")).split("\n");
    for (const c of COMMANDS) {
      const flags = Object.keys(c.options).map((f) => `'--${f}'`);
      const line = flagTable.find((l) => l.trimStart().startsWith(`'${c.path.join(" ")}' =`));
      assert(line, `flags of ${c.path.join(" ")}`);
      for (const f of [...flags, "'--env'", "'-e'", "'--json'"]) assertStringIncludes(line, f);
    }
  });
  await t.step("env and provider names from lmi env list --json, files left to PowerShell", () => {
    assertStringIncludes(text, "(& lmi env list --json 2>$null) | Out-String | ConvertFrom-Json");
    assertStringIncludes(text, "$providerArgs = @('login sso', 'logout sso')");
    assertStringIncludes(text, "$envArgs = @('env show')");
    assertStringIncludes(text, "& $listed 'sso_providers'");
    assertStringIncludes(text, "& $listed 'envs'");
    assertStringIncludes(text, "$fileArgs = @('trust', 'untrust')");
    assertMatch(text, /elseif \(\$fileArgs -contains \$cmd\) \{ return \}/);
  });
  await t.step("balanced braces and parentheses; nothing that ends the user's session", () => {
    // Strings hold no brackets here, so counting them checks the script's blocks.
    const code = text.replace(/'[^']*'/g, "''").replace(/^\s*#.*$/gm, "");
    for (const [open, close] of [["{", "}"], ["(", ")"], ["[", "]"]] as const) {
      assertEquals(code.split(open).length, code.split(close).length, `${open}${close} balance`);
    }
    // Run with Invoke-Expression in the user's session: an `exit` would close their window.
    assert(!/^\s*exit\b|[;{]\s*exit\b/m.test(text), "no exit");
    assertNotIncludes(text, "\t");
  });
});
