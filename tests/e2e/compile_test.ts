/**
 * `deno task compile --dry-run`: the exact `deno compile` commands for every target, with the
 * permission flags from deno.json, and the SHA256SUMS step; no network and nothing written. The
 * real compile needs the network (the release workflow runs it); the generated entry point it
 * compiles is run here under `deno run`.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { join } from "../../src/util/path.ts";
import { permissionFlags } from "../../scripts/permissions.ts";
import { entrySource, sha256Line, TARGETS } from "../../scripts/compile.ts";
import { REPO } from "../../scripts/run_lmi.ts";
import { VERSION } from "../../src/version.ts";

const decoder = new TextDecoder();

async function deno(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("deno task compile --dry-run", async (t) => {
  const flags = permissionFlags().join(" ");
  const expected = (commit: string) =>
    [
      `# lmi ${VERSION}, commit ${commit}: dist/.build/main.ts passes it to main()`,
      ...TARGETS.map((target) => {
        const out = `dist/lmi-${target}${target.includes("windows") ? ".exe" : ""}`;
        return `deno compile --no-check --config=deno.json --lock=lmi.lock --frozen ${flags} --target ${target} --output ${out} dist/.build/main.ts`;
      }),
      `(cd dist && sha256sum ${
        TARGETS.map((t) => `lmi-${t}${t.includes("windows") ? ".exe" : ""}`).join(" ")
      } > SHA256SUMS)`,
      "",
    ].join("\n");

  await t.step("through the task: every target, the permission flags, the sums", async () => {
    const r = await deno(["task", "compile", "--dry-run"], { LMI_BUILD_COMMIT: "c0ffee" });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, expected("c0ffee"));
    assert(flags.includes("--allow-net") && flags.includes("--allow-sys=uid"), flags);
  });
  await t.step("needs no network and writes nothing", async () => {
    const r = await deno([
      "run",
      "--no-prompt",
      `--allow-read=${REPO}`,
      "--allow-env",
      "--allow-run=git",
      "scripts/compile.ts",
      "--dry-run",
    ], { LMI_BUILD_COMMIT: "c0ffee" });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, expected("c0ffee"));
  });
  await t.step("the commit comes from git when not given", async () => {
    const head = decoder.decode(
      (await new Deno.Command("git", { args: ["rev-parse", "HEAD"], cwd: REPO, stdout: "piped" })
        .output()).stdout,
    ).trim();
    const r = await deno(["run", "--allow-all", "scripts/compile.ts", "--dry-run"]);
    assertEquals(r.code, 0, r.stderr);
    assert(r.stdout.startsWith(`# lmi ${VERSION}, commit ${head}`), r.stdout);
  });
  await t.step("an unknown target: exit 2, nothing compiled", async () => {
    const r = await deno(["run", "--allow-all", "scripts/compile.ts", "--dry-run", "sparc"]);
    assertEquals(r.code, 2);
    assert(r.stderr.includes(`unknown target "sparc"`), r.stderr);
  });
});

Deno.test("the generated entry point runs lmi with the stamp", async () => {
  const dir = join(REPO, "dist", ".build");
  await Deno.mkdir(dir, { recursive: true });
  const entry = join(dir, `test-${crypto.randomUUID()}.ts`);
  await Deno.writeTextFile(entry, entrySource("c0ffee"));
  try {
    const r = await deno(["run", "--no-check", "--allow-all", entry, "--version", "--json"]);
    assertEquals(r.code, 0, r.stderr);
    // Under deno run the stamp is not shown: only a compiled binary is stamped by the release.
    assertEquals(JSON.parse(r.stdout).version, VERSION);
  } finally {
    await Deno.remove(entry);
  }
});

Deno.test("SHA256SUMS lines are in sha256sum's format", async () => {
  const bytes = new TextEncoder().encode("abc");
  assertEquals(
    await sha256Line("lmi-x86_64-unknown-linux-gnu", bytes),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  lmi-x86_64-unknown-linux-gnu\n",
  );
});
