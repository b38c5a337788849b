/** Shell completion: the bash script, exercised in a real bash. */
import { join } from "../../src/util/path.ts";
import { assertEquals, assertMatch } from "../helpers/assert.ts";
import { sandbox } from "../helpers/cli.ts";
import { lmiCommand } from "../../scripts/run_lmi.ts";
import { ignoreUnless, SH_SCRIPTS } from "../helpers/components.ts";

const NAME = "lmi completions bash completes commands, subcommands, flags and env names";

Deno.test({
  name: NAME,
  ignore: ignoreUnless(NAME, SH_SCRIPTS, { commands: ["bash"] }),
}, async () => {
  await using box = await sandbox();
  await box.writeConfig("[envs.dev]\n[envs.prod]\n[envs.staging-eu]\n");
  const script = await box.run(["completions", "bash"]);
  assertEquals(script.code, 0, script.stderr);
  const file = join(box.dir, "lmi.bash");
  await Deno.writeTextFile(file, script.stdout);
  const bin = join(box.dir, "bin");
  await Deno.mkdir(bin);
  const { cmd, args } = lmiCommand([]);
  await Deno.writeTextFile(
    join(bin, "lmi"),
    `#!/bin/sh\nexec ${[cmd, ...args].map((a) => `'${a}'`).join(" ")} "$@"\n`,
  );
  await Deno.chmod(join(bin, "lmi"), 0o755);
  const complete = async (words: string[]) => {
    const line = `source ${file}; COMP_WORDS=(${
      words.map((w) => `'${w}'`).join(" ")
    }); COMP_CWORD=${words.length - 1}; _lmi; echo "\${COMPREPLY[*]}"`;
    const out = await new Deno.Command("bash", {
      args: ["-c", line],
      clearEnv: true,
      env: { ...box.env, PATH: `${bin}:${box.env.PATH}` },
      cwd: box.home,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout).trim();
  };
  assertEquals(await complete(["lmi", "au"]), "auth");
  assertEquals(await complete(["lmi", "auth", "t"]), "token");
  assertEquals(await complete(["lmi", "auth", "token", "--fo"]), "--format --force");
  assertEquals(await complete(["lmi", "login", "s"]), "sso");
  assertEquals(await complete(["lmi", "--env", ""]), "dev prod staging-eu");
  assertEquals(await complete(["lmi", "tr"]), "trust");
  assertEquals(await complete(["lmi", "untr"]), "untrust");
  assertEquals(await complete(["lmi", "trust", "lmi.t"]), "lmi.toml", "trust takes a file");
  assertEquals((await box.run(["completions", "tcsh"])).code, 2);
  assertMatch(
    (await box.run(["completions", "fish"])).stdout,
    /^complete -c lmi -n __fish_use_subcommand -a auth /m,
  );
});
