/** The README's commands stay true: the pinned Deno version and the program's permissions. */
import { join } from "../../src/util/path.ts";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { permissionFlags } from "../../scripts/permissions.ts";
import { REPO } from "../../scripts/run_lmi.ts";

const readme = await Deno.readTextFile(join(REPO, "README.md"));
const version = (await Deno.readTextFile(join(REPO, ".deno-version"))).trim();

function commandAfter(marker: string): string {
  const lines = readme.split("\n");
  const at = lines.findIndex((l) => l.includes(`<!-- ${marker} -->`));
  assert(at >= 0, `README has a ${marker} marker`);
  return lines.slice(at + 1).find((l) => /^[a-z]/.test(l))!;
}

Deno.test("README: the demo and test commands use the pinned Deno version", () => {
  assertEquals(commandAfter("demo-command"), `npx -y deno@${version} task demo`);
  assertEquals(commandAfter("test-command"), `npx -y deno@${version} task test`);
  for (const m of readme.matchAll(/deno@(\d+\.\d+\.\d+)/g)) assertEquals(m[1], version);
});

Deno.test("README: `deno run` and `deno install` list exactly the program's permissions", () => {
  const joined = readme.replaceAll(" \\\n  ", " "); // shell line continuations
  const flags = permissionFlags().join(" ");
  assertStringIncludes(joined, `deno run ${flags} "https://raw.githubusercontent.com/$LMI_REPO/`);
  assertStringIncludes(joined, `deno install -g -n lmi ${flags} "https://`);
});

Deno.test("README: the repository placeholder is written in one marked place", () => {
  const lines = readme.split("\n").filter((l) => l.includes("ORG"));
  assertEquals(lines, [
    "> LMI_REPO=ORG/lmi   # ← replace ORG with the owner lmi is published under",
  ]);
});

Deno.test("deno.json: the compile task uses the same permission set", async () => {
  const config = JSON.parse(await Deno.readTextFile(join(REPO, "deno.json")));
  assertStringIncludes(config.tasks.compile, "scripts/compile.ts");
  const compile = await Deno.readTextFile(join(REPO, "scripts", "compile.ts"));
  assertStringIncludes(compile, "permissionFlags()");
});
