/**
 * `deno task install`: puts an `lmi` on PATH that runs this clone, for people who work from a
 * clone rather than a release. It runs `deno install -g -n lmi --force` on this clone's main.ts
 * with exactly the program's permissions (deno.json's "lmi" set) and the program's own lockfile,
 * lmi.lock, frozen: only lmi's packages are fetched, at the versions lmi.lock pins, when it is
 * installed and on every run after. The installed script runs the clone's files, so a `git pull`
 * updates it. `DENO_INSTALL_ROOT` chooses where it goes (default ~/.deno; the script lands in its
 * `bin`), as for any `deno install`.
 *
 * How: `deno install -g` keeps a copy of the config it is given beside the script and runs the
 * program with it, but not a `--lock` flag. So it gets a config of one setting, the lockfile by
 * absolute path, frozen. Not deno.json itself: the program needs nothing else from it (its
 * imports are full specifiers), and with deno.json the install records this workspace in the
 * frozen lockfile and fails.
 *
 * @module
 */
import { join } from "node:path";
import { permissionFlags } from "./permissions.ts";
import { MAIN, REPO } from "./run_lmi.ts";

/** The config the installed lmi runs with: lmi.lock, frozen. */
export function installConfig(repo: string = REPO): string {
  return JSON.stringify({ lock: { path: join(repo, "lmi.lock"), frozen: true } }, null, 2) + "\n";
}

/** The `deno` arguments that install this clone as `lmi`; `extra` goes before the module. */
export function installArgs(configPath: string, extra: string[] = []): string[] {
  return [
    "install",
    "--global",
    "--name",
    "lmi",
    "--force",
    `--config=${configPath}`,
    ...permissionFlags(),
    ...extra,
    MAIN,
  ];
}

if (import.meta.main) {
  const config = await Deno.makeTempFile({ prefix: "lmi-install-", suffix: ".json" });
  try {
    await Deno.writeTextFile(config, installConfig());
    const status = await new Deno.Command(Deno.execPath(), {
      args: installArgs(config, Deno.args),
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    Deno.exitCode = status.code;
  } finally {
    await Deno.remove(config).catch(() => {});
  }
}
