/**
 * The README's commands stay true: the markers CI and the tests read, the pinned Deno version,
 * the program's permissions wherever the docs spell them out, and the one repository placeholder.
 */
import { join } from "../../src/util/path.ts";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { permissionFlags } from "../../scripts/permissions.ts";
import { REPO } from "../../scripts/run_lmi.ts";
import { docFiles } from "../helpers/docs.ts";

const readme = await Deno.readTextFile(join(REPO, "README.md"));
const version = (await Deno.readTextFile(join(REPO, ".deno-version"))).trim();
const docs = await docFiles();

function commandAfter(marker: string): string {
  const lines = readme.split("\n");
  const at = lines.findIndex((l) => l.includes(`<!-- ${marker} -->`));
  assert(at >= 0, `README has a ${marker} marker`);
  return lines.slice(at + 1).find((l) => /^[a-z]/.test(l))!;
}

Deno.test("README: the demo and test commands use the pinned Deno version", () => {
  assertEquals(commandAfter("demo-command"), `npx -y deno@${version} task demo`);
  assertEquals(commandAfter("test-command"), `npx -y deno@${version} task test`);
});

Deno.test("README and docs: every deno@x.y.z is the pinned Deno version", () => {
  for (const { name, text } of docs) {
    for (const m of text.matchAll(/deno@(\d+\.\d+\.\d+)/g)) assertEquals(m[1], version, name);
  }
});

Deno.test("docs/install.md: `deno run` and `deno install` list exactly the program's permissions", () => {
  const install = docs.find((d) => d.name === "docs/install.md")!.text;
  const joined = install.replaceAll(" \\\n  ", " "); // shell line continuations
  const flags = permissionFlags().join(" ");
  assertStringIncludes(joined, `deno run ${flags} "https://raw.githubusercontent.com/$LMI_REPO/`);
  assertStringIncludes(joined, `deno install -g -n lmi ${flags} "https://`);
});

Deno.test("README and docs: every list of permission flags is the program's permission set", () => {
  const flags = permissionFlags().join(" ");
  let found = 0;
  for (const { name, text } of docs) {
    // Shell continuations and YAML's folded lines joined; two or more flags in a row.
    const joined = text.replace(/\s*\\?\n[ \t]*/g, " ");
    for (const m of joined.matchAll(/--allow-[a-z]+(?:=\S+)?(?: --allow-[a-z]+(?:=\S+)?)+/g)) {
      assertEquals(m[0], flags, `${name}: ${m[0]}`);
      found++;
    }
  }
  assert(found >= 5, `the docs spell out the permissions ${found} times: is the pattern stale?`);
});

Deno.test("README: the repository placeholder is written in one marked place", () => {
  const lines = readme.split("\n").filter((l) => l.includes("ORG"));
  assertEquals(lines, [
    "> LMI_REPO=ORG/lmi   # ← replace ORG with the owner lmi is published under",
  ]);
  for (const { name, text } of docs) {
    if (name !== "README.md") {
      assert(!text.includes("ORG"), `${name} has no placeholder of its own`);
    }
  }
});

Deno.test("deno.json: the compile task uses the same permission set", async () => {
  const config = JSON.parse(await Deno.readTextFile(join(REPO, "deno.json")));
  assertStringIncludes(config.tasks.compile, "scripts/compile.ts");
  const compile = await Deno.readTextFile(join(REPO, "scripts", "compile.ts"));
  assertStringIncludes(compile, "permissionFlags()");
});
