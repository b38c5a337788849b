/**
 * `deno task compile`: standalone lmi binaries for every release target, with the permissions of
 * deno.json's "lmi" set compiled in. Output: dist/lmi-<target>[.exe].
 *
 * `deno compile` downloads the Deno runtime for each target, so this needs internet access (the
 * release workflow has it).
 *
 * @module
 */
import { join } from "../src/util/path.ts";
import { permissionFlags } from "./permissions.ts";
import { MAIN, REPO } from "./run_lmi.ts";

export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

async function compile(target: string): Promise<boolean> {
  const output = join(REPO, "dist", `lmi-${target}${target.includes("windows") ? ".exe" : ""}`);
  const args = [
    "compile",
    "--no-check",
    `--config=${join(REPO, "deno.json")}`,
    ...permissionFlags(),
    "--target",
    target,
    "--output",
    output,
    MAIN,
  ];
  console.log(`deno ${args.join(" ")}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code === 0;
}

if (import.meta.main) {
  const wanted = Deno.args.length > 0 ? Deno.args : TARGETS;
  let failed = 0;
  for (const target of wanted) if (!await compile(target)) failed++;
  Deno.exit(failed === 0 ? 0 : 1);
}
