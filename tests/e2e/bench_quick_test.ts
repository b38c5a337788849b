/**
 * `deno task bench --quick --out PATH` as users run it: every row of the benchmark ran and gave
 * finite numbers, or was skipped with its reason (a peer tool, curl or GNU time not installed;
 * under LMI_TEST_REQUIRE_ALL=1 nothing may be skipped). No timing is asserted: the targets are
 * the report's business, not the test's. And a child the benchmark starts works on a machine
 * that never ran it: with an empty Deno cache it downloads its npm packages, behind a
 * TLS-inspecting proxy too (it gets the machine's CA variables).
 */
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { REPO } from "../../scripts/run_lmi.ts";
import { childEnv } from "../../scripts/child_env.ts";
import type { Report } from "../../scripts/bench/report.ts";
import { expiryRows } from "../../scripts/bench/library.ts";
import { createWorld } from "../../scripts/bench/world.ts";

const ROWS = [
  "startup.auth_token.wall",
  "startup.auth_token.rss",
  "startup.exec_credential.wall",
  "startup.exec_credential.rss",
  "startup.request.wall",
  "startup.request.rss",
  "library.sequential_gets",
  "library.expiry.token_requests",
  "library.expiry.failures",
  "stream.throughput",
  "stream.rss",
  "cold.parallel.token_requests",
  "cold.parallel.failures",
  "cold.parallel.wall",
  "cold.single.overhead_over_curl",
  "peers.gh.wall",
  "peers.gh.rss",
  "peers.oidc_token.wall",
  "peers.oidc_token.rss",
];

const finite = (x: unknown): boolean => typeof x === "number" && Number.isFinite(x);

Deno.test("deno task bench --quick: every row is measured, or skipped with a reason", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lmi-bench-test-" });
  try {
    const out = join(dir, "results.json");
    const home = join(dir, "home");
    await Deno.mkdir(home);
    const res = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "bench", "--quick", "--out", out],
      cwd: REPO,
      clearEnv: true,
      env: childEnv({ home, vars: { NO_COLOR: "1" } }),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(res.stdout);
    const stderr = new TextDecoder().decode(res.stderr);
    assertEquals(res.code, 0, `bench failed:\n${stdout}\n${stderr}`);

    const report = JSON.parse(await Deno.readTextFile(out)) as Report;
    assertEquals(report.run.mode, "quick");
    assertEquals(report.rows.map((r) => r.id), ROWS);
    const requireAll = Deno.env.get("LMI_TEST_REQUIRE_ALL") === "1";
    for (const row of report.rows) {
      assertEquals(row.error, undefined, `${row.id}: ${row.error}`);
      assertStringIncludes(stdout, row.name, "the table names every row");
      if (row.skipped !== undefined) {
        assert(row.skipped.length > 0, `${row.id} is skipped with a reason`);
        assert(!requireAll, `${row.id} skipped under LMI_TEST_REQUIRE_ALL=1: ${row.skipped}`);
        console.log(`bench row ${row.id} skipped: ${row.skipped}`);
        continue;
      }
      assert(row.samples > 0 && row.values.length === row.samples, `${row.id} has samples`);
      assert(row.values.every(finite), `${row.id}: finite samples ${row.values}`);
      assert([row.median, row.min, row.max].every(finite), `${row.id}: finite summary`);
      if (row.baseline) {
        assert(row.baseline.values.every(finite), `${row.id}: finite baseline`);
        assert(finite(row.ratio), `${row.id}: finite ratio`);
      }
      if (row.target) assert(typeof row.met === "boolean", `${row.id}: target checked`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("a bench child with an empty DENO_DIR downloads its npm packages and runs", async () => {
  const world = await createWorld();
  try {
    // The library client of the expiry rows (a cold token cache, so it parses the config and
    // gets tokens) is the only child with the empty cache: it downloads lmi's packages itself.
    const fresh = join(world.dir, "deno-dir");
    world.env.DENO_DIR = fresh;
    for (const row of await expiryRows(world, 1, 20)) {
      assertEquals(row.error, undefined, `${row.id}: ${row.error}`);
      assert(row.samples > 0 && row.values.every(finite), `${row.id} has samples`);
    }
    const npm = join(fresh, "npm", "registry.npmjs.org");
    const downloaded = [...Deno.readDirSync(npm)].map((e) => e.name).sort();
    assertEquals(downloaded, ["jose", "oauth4webapi", "openid-client", "smol-toml"]);
  } finally {
    await world.close();
  }
});
