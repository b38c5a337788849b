/** Build information: what `lmi --version` shows in a compiled binary and under `deno run`. */
import { assertEquals } from "../helpers/assert.ts";
import { buildInfo, formatBuildInfo, VERSION } from "../../src/version.ts";

const runtime = (standalone: boolean) => ({
  build: { target: "aarch64-apple-darwin", standalone },
  version: { deno: "2.9.6" },
});

Deno.test("build information", async (t) => {
  await t.step("a compiled binary shows the commit stamped into it", () => {
    const info = buildInfo({ commit: "abc123" }, runtime(true));
    assertEquals(info, {
      version: VERSION,
      deno: "2.9.6",
      target: "aarch64-apple-darwin",
      commit: "abc123",
      compiled: true,
    });
    assertEquals(
      formatBuildInfo(info),
      `lmi ${VERSION}\ndeno 2.9.6\ntarget aarch64-apple-darwin\ncommit abc123\n`,
    );
  });
  await t.step("deno run: (deno run) and no commit, even with a stamp", () => {
    const info = buildInfo({ commit: "abc123" }, runtime(false));
    assertEquals(info.commit, null);
    assertEquals(
      formatBuildInfo(info),
      `lmi ${VERSION} (deno run)\ndeno 2.9.6\ntarget aarch64-apple-darwin\n`,
    );
  });
});
