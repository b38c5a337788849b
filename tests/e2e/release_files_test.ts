/**
 * The GitHub files: action.yml and the ci / release workflows are well-formed YAML (parsed with
 * Debian's python3-yaml; actionlint is not packaged) with the shape the README promises, and every
 * shell step parses with `bash -n`. install.ps1 is not run here (no PowerShell on Linux).
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ignoreWithout } from "../helpers/components.ts";
import { join } from "../../src/util/path.ts";
import { REPO } from "../../scripts/run_lmi.ts";
import { TARGETS } from "../../scripts/compile.ts";

const decoder = new TextDecoder();

// deno-lint-ignore no-explicit-any
type Yaml = any;

async function parseYaml(path: string): Promise<Yaml> {
  const out = await new Deno.Command("python3", {
    args: [
      "-c",
      "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1])), default=str))",
      path,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, `${path}: ${decoder.decode(out.stderr)}`);
  return JSON.parse(decoder.decode(out.stdout));
}

/** Every step of a workflow's jobs or a composite action. */
function steps(doc: Yaml): Yaml[] {
  if (doc.runs) return doc.runs.steps;
  return Object.values(doc.jobs).flatMap((job: Yaml) => job.steps);
}

/** YAML 1.1 reads the key `on` as true. */
const triggers = (doc: Yaml) => doc.on ?? doc["True"] ?? doc["true"];

async function bashParses(script: string): Promise<string> {
  const cmd = new Deno.Command("bash", { args: ["-n"], stdin: "piped", stderr: "piped" }).spawn();
  const writer = cmd.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const out = await cmd.output();
  return out.success ? "" : decoder.decode(out.stderr);
}

Deno.test({
  name: "action.yml and the workflows",
  ignore: ignoreWithout("the GitHub files", ["python3"]),
  async fn(t) {
    const action = await parseYaml(join(REPO, "action.yml"));
    const ci = await parseYaml(join(REPO, ".github/workflows/ci.yml"));
    const release = await parseYaml(join(REPO, ".github/workflows/release.yml"));

    await t.step("every shell step parses (bash -n)", async () => {
      for (const doc of [action, ci, release]) {
        for (const step of steps(doc)) {
          if (step.run === undefined || step.shell === "pwsh") continue;
          assertEquals(await bashParses(step.run), "", step.name ?? step.run);
        }
      }
    });
    await t.step("action.yml: composite, inputs version, env, config; --format github", () => {
      assertEquals(action.runs.using, "composite");
      assertEquals(Object.keys(action.inputs).sort(), ["config", "env", "version"]);
      const runs = steps(action).map((s: Yaml) => s.run).join("\n");
      assertStringIncludes(runs, "install.sh");
      assertStringIncludes(runs, "install.ps1");
      assertStringIncludes(runs, 'lmi auth token --env "$LMI_ENV" --format github');
      // Inputs reach scripts through env, never spliced into the script text.
      assert(!runs.includes("${{"), runs);
    });
    await t.step("ci.yml: .ci/run on Debian, the tests on macOS and Windows, a binary", () => {
      assertEquals(ci.jobs.linux.container, "debian:bookworm");
      assert(steps({ jobs: { linux: ci.jobs.linux } }).some((s: Yaml) => s.run === ".ci/run"));
      assertEquals(ci.jobs["other-os"].strategy.matrix.os, ["macos-latest", "windows-latest"]);
      const binary = steps({ jobs: { b: ci.jobs.binary } }).map((s: Yaml) => s.run ?? "").join();
      assertStringIncludes(binary, "deno task compile");
      assertStringIncludes(binary, "--version --json");
    });
    await t.step(
      "release.yml: on v* tags, tag = deno.json version, compile, attest, release",
      () => {
        assertEquals(triggers(release).push.tags, ["v*"]);
        const all = steps(release);
        const runs = all.map((s: Yaml) => s.run ?? "").join("\n");
        assertStringIncludes(runs, "jq -r .version deno.json");
        assertStringIncludes(runs, "deno task compile");
        assert(
          all.some((s: Yaml) => String(s.uses).startsWith("actions/attest-build-provenance@")),
        );
        for (const file of ["dist/lmi-*", "dist/SHA256SUMS", "install.sh", "install.ps1"]) {
          assertStringIncludes(runs, file);
        }
        assertEquals(release.permissions["id-token"], "write");
      },
    );
  },
});

Deno.test("install.ps1 asks for the Windows target and checks SHA256SUMS", async () => {
  const text = await Deno.readTextFile(join(REPO, "install.ps1"));
  const windows = TARGETS.find((t) => t.includes("windows"));
  assertStringIncludes(text, `'lmi-${windows}.exe'`);
  assertStringIncludes(text, "SHA256SUMS");
  assertStringIncludes(text, "Get-FileHash -Algorithm SHA256");
});
