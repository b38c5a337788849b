/**
 * Running lmi from a clone, as docs/install.md says. `deno task lmi`: the config is found from the
 * folder the user ran the command in (the task runner's INIT_CWD), not the clone's, and only
 * lmi's own packages are downloaded (lmi.lock), never the development tools. `deno task install`:
 * an `lmi` on PATH with the program's permissions that runs the clone, lmi.lock frozen.
 */
import { dirname, join } from "../../src/util/path.ts";
import { pathToFileURL } from "node:url";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ignoreUnless, SH_SCRIPTS } from "../helpers/components.ts";
import { sandbox } from "../helpers/cli.ts";
import { MAIN, REPO } from "../../scripts/run_lmi.ts";
import { permissionFlags } from "../../scripts/permissions.ts";
import { VERSION } from "../../src/version.ts";

/** `deno task --config <clone>/deno.json lmi ARGS` run in `cwd`. */
async function taskLmi(args: string[], cwd: string, env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", `--config=${join(REPO, "deno.json")}`, "lmi", ...args],
    clearEnv: true,
    env,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The npm packages in a DENO_DIR's global cache. */
async function cachedPackages(denoDir: string): Promise<string[]> {
  const names: string[] = [];
  const root = join(denoDir, "npm", "registry.npmjs.org");
  try {
    for await (const entry of Deno.readDir(root)) {
      if (!entry.isDirectory) continue;
      if (!entry.name.startsWith("@")) names.push(entry.name);
      else {for await (const sub of Deno.readDir(join(root, entry.name))) {
          names.push(`${entry.name}/${sub.name}`);
        }}
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return names.sort();
}

Deno.test("deno task lmi finds the lmi.toml of the folder it was run in", async () => {
  await using box = await sandbox();
  await Deno.writeTextFile(
    join(box.home, "lmi.toml"),
    `default_env = "proj"\n[envs.proj]\nbase_url = "https://api.example.com"\n` +
      `[envs.proj.auth]\ntype = "none"\n`,
  );
  const sub = join(box.home, "src", "deep");
  await Deno.mkdir(sub, { recursive: true });
  const r = await taskLmi(["env", "show", "--json"], sub, box.env);
  assertEquals(r.code, 0, r.stderr);
  const shown = JSON.parse(r.stdout);
  assertEquals(shown.name, "proj");
  assertEquals(shown.config, join(box.home, "lmi.toml"));
  // Arguments reach lmi as given, spaces included; errors and exit codes are lmi's own.
  const args = ["auth", "token", "--env", "no such"];
  const viaTask = await taskLmi(args, sub, box.env);
  const direct = await box.run(args, { cwd: sub });
  assertEquals([viaTask.code, viaTask.stderr], [direct.code, direct.stderr]);
  assertStringIncludes(viaTask.stderr, `"no such"`);
});

Deno.test("deno task lmi downloads only lmi's own packages", async () => {
  await using box = await sandbox();
  const fresh = join(box.dir, "deno-dir");
  await Deno.writeTextFile(
    join(box.home, "lmi.toml"),
    `[envs.proj]\nbase_url = "https://api.example.com"\n[envs.proj.auth]\ntype = "none"\n`,
  );
  const version = await taskLmi(["--version"], box.home, { ...box.env, DENO_DIR: fresh });
  assertEquals(version.code, 0, version.stderr);
  assertStringIncludes(version.stdout, "(deno run)");
  // A command that reads the config (--version and help load no package at all).
  const r = await taskLmi(["env", "show", "proj", "--json"], box.home, {
    ...box.env,
    DENO_DIR: fresh,
  });
  assertEquals(r.code, 0, r.stderr);
  assertEquals(JSON.parse(r.stdout).name, "proj");
  const packages = await cachedPackages(fresh);
  // src/deps.ts: openid-client (with oauth4webapi and jose) and smol-toml; nothing for tests.
  assertEquals(packages, ["jose", "oauth4webapi", "openid-client", "smol-toml"]);
});

Deno.test("lmi.lock pins exactly lmi's packages, at deno.lock's versions", async () => {
  const program = JSON.parse(await Deno.readTextFile(join(REPO, "lmi.lock")));
  const dev = JSON.parse(await Deno.readTextFile(join(REPO, "deno.lock")));
  const deps = await Deno.readTextFile(join(REPO, "src", "deps.ts"));
  const named = [...new Set([...deps.matchAll(/"(npm:[^"]+@[^"/]+)[^"]*"/g)].map((m) => m[1]!))];
  assertEquals(Object.keys(program.specifiers).sort(), named.sort());
  for (const [spec, version] of Object.entries(program.specifiers)) {
    assertEquals(dev.specifiers[spec], version, `${spec} differs between lmi.lock and deno.lock`);
  }
  for (const [pkg, entry] of Object.entries(program.npm as Record<string, { integrity: string }>)) {
    assertEquals(dev.npm[pkg]?.integrity, entry.integrity, pkg);
  }
  for (const tool of ["oidc-provider", "playwright-core", "fast-check"]) {
    assert(!JSON.stringify(program).includes(tool), `${tool} is in lmi.lock`);
  }
});

Deno.test({
  name: "deno task install puts an lmi on PATH that runs the clone, lmi.lock frozen",
  ignore: ignoreUnless("deno task install", SH_SCRIPTS),
  fn: async () => {
    await using box = await sandbox();
    const root = join(box.dir, "deno-install");
    const lock = await Deno.readTextFile(join(REPO, "lmi.lock"));
    const installed = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", `--config=${join(REPO, "deno.json")}`, "install"],
      clearEnv: true,
      env: { ...box.env, DENO_INSTALL_ROOT: root },
      cwd: box.home,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assertEquals(installed.code, 0, dec.decode(installed.stderr));
    const bin = join(root, "bin", "lmi");
    const script = await Deno.readTextFile(bin);
    for (const flag of permissionFlags()) assertStringIncludes(script, ` ${flag} `);
    assert(!script.includes("--allow-all") && !/ -A /.test(script), "no more permissions");
    assertStringIncludes(script, pathToFileURL(MAIN).href, "it runs the clone's main.ts");

    // As a newcomer runs it: `lmi` from PATH (deno beside it), in a project folder.
    const path = [join(root, "bin"), dirname(Deno.execPath()), box.env.PATH].join(":");
    const run = async (args: string[], cwd: string) => {
      const out = await new Deno.Command("sh", {
        args: ["-c", 'exec lmi "$@"', "lmi", ...args],
        clearEnv: true,
        env: { ...box.env, PATH: path },
        cwd,
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    };
    const version = await run(["--version"], box.home);
    assertEquals(version.code, 0, version.stderr);
    assertStringIncludes(version.stdout, `lmi ${VERSION}`);
    const project = join(box.home, "project");
    await Deno.mkdir(project);
    await Deno.writeTextFile(
      join(project, "lmi.toml"),
      `[envs.proj]\nbase_url = "https://api.example.com"\n[envs.proj.auth]\ntype = "none"\n`,
    );
    const shown = await run(["env", "show", "proj", "--json"], project);
    assertEquals(shown.code, 0, shown.stderr);
    assertEquals(JSON.parse(shown.stdout).config, join(project, "lmi.toml"));

    // lmi.lock is used, frozen, also when it runs: the packages are lmi.lock's, nothing re-resolved.
    assertEquals(await Deno.readTextFile(join(REPO, "lmi.lock")), lock, "lmi.lock unchanged");
    const kept = join(root, "bin", ".lmi");
    const files = [...Deno.readDirSync(kept)].map((e) => e.name).sort();
    assert(!files.includes("deno.lock"), `no lockfile of its own: ${files}`);
    const modules = [...Deno.readDirSync(join(kept, "node_modules", ".deno"))]
      .filter((e) => e.isDirectory && e.name !== "node_modules").map((e) => e.name).sort();
    const pinned = Object.keys(JSON.parse(lock).npm).sort();
    assertEquals(modules, pinned, "exactly the packages lmi.lock pins, at its versions");
  },
});
