/**
 * Modules loaded through lazyImport (src/util/lazy.ts): each command's loader finds its module,
 * and the entry point `deno compile` builds names every one of them (it would leave them out).
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { COMMANDS } from "../../src/cli/spec.ts";
import { entrySource, lazyImportTargets } from "../../scripts/compile.ts";

Deno.test("every command's lazy loader loads a command module", async () => {
  for (const spec of COMMANDS) {
    const m = await spec.load();
    assertEquals(
      [typeof m.parseOptions, typeof m.run],
      ["function", "function"],
      spec.path.join(" "),
    );
  }
});

Deno.test("the compiled entry point names every lazily loaded module", () => {
  const targets = lazyImportTargets();
  assert(targets.includes("src/cli/auth_token.ts"), targets.join(", "));
  assert(targets.includes("src/tokens/acquire.ts"), targets.join(", "));
  assert(targets.length >= COMMANDS.length, "a module per command at least");
  const entry = entrySource("c0ffee");
  for (const path of targets) assert(entry.includes(`import("../../${path}")`), path);
});
