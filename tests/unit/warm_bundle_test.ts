/**
 * src/cli/warm.bundle.js, the warm `lmi auth token` path in one module (scripts/bundle.ts): it is
 * what the sources make, main.ts reads nothing else before it runs, and it stays small.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { join } from "../../src/util/path.ts";
import { buildBundle, BUNDLE } from "../../scripts/bundle.ts";
import { REPO } from "../../scripts/run_lmi.ts";

/** Every KB of the bundle is read and compiled on each run (measured: ~15 µs a KB). */
const MAX_BUNDLE_BYTES = 140_000;

Deno.test("the warm bundle is up to date (else: deno task bundle)", async () => {
  const checkedIn = await Deno.readTextFile(join(REPO, BUNDLE));
  const built = await buildBundle();
  assert(checkedIn === built, `${BUNDLE} is not what the sources make: run deno task bundle`);
});

Deno.test("main.ts starts from the bundle alone, which imports nothing", async () => {
  const main = await Deno.readTextFile(join(REPO, "main.ts"));
  const staticImports = [...main.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
  assertEquals(staticImports, ["./src/cli/warm.bundle.js"]);
  const dynamic = /(?<!typeof )import\(\s*["'`]/g;
  assertEquals([...main.matchAll(dynamic)].length, 0, "no literal dynamic import");

  const bundle = await Deno.readTextFile(join(REPO, BUNDLE));
  assertEquals([...bundle.matchAll(/^\s*import\s[^(]/gm)].length, 0, "no static import");
  const literal = [...bundle.matchAll(/\bimport\(\s*["'`]([^"'`]+)/g)].map((m) => m[1]!);
  assertEquals(literal, [], "no module read ahead: not one of lmi's, no npm package");
  assert(
    bundle.length <= MAX_BUNDLE_BYTES,
    `${BUNDLE} is ${bundle.length} bytes, over ${MAX_BUNDLE_BYTES}: something slow came into the warm path`,
  );
});
