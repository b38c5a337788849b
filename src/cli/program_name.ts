/**
 * The name the program was invoked as, for `docker-credential-lmi` (Docker runs
 * `docker-credential-<name>` from PATH). What can tell, by how lmi runs:
 *
 * - `deno run …/docker-credential-lmi` (a symlink to main.ts, or a copy): `Deno.mainModule` keeps
 *   the name it was run under.
 * - a compiled binary copied as `docker-credential-lmi`: `Deno.execPath()`.
 * - a compiled binary symlinked as `docker-credential-lmi`: `Deno.execPath()` follows the link on
 *   Linux, so argv[0] is read from `/proc/self/cmdline` there (macOS gives the link's path).
 * - a shell wrapper that runs `deno run main.ts`: nothing can tell; it passes `docker-credential`.
 *
 * @module
 */

/** The program name under which lmi speaks only Docker's protocol. */
export const DOCKER_HELPER_NAME = "docker-credential-lmi";

/**
 * Whether any of `names` (paths or URLs the program knows itself by) is `docker-credential-lmi`,
 * compared by base name without a `.ts`, `.js`, `.mjs` or `.exe` extension.
 */
export function invokedAsDockerHelper(names: readonly (string | undefined)[]): boolean {
  return names.some((name) => {
    if (!name) return false;
    const base = name.replace(/\\/g, "/").split("/").pop()!;
    return base.replace(/\.(ts|js|mjs|exe)$/i, "") === DOCKER_HELPER_NAME;
  });
}

/** The command line `main` gets: Docker's helper invocation becomes `docker-credential …`. */
export function programArgs(args: string[], names: readonly (string | undefined)[]): string[] {
  return invokedAsDockerHelper(names) ? ["docker-credential", ...args] : args;
}

/** What this process knows of its own name (entry point only: it reads the real world). */
export function programNames(): string[] {
  const names = [Deno.mainModule];
  // `deno run`: the executable is deno itself, so only a compiled binary asks further.
  if (!Deno.build.standalone) return names;
  try {
    names.push(Deno.execPath());
  } catch { /* no read permission */ }
  if (Deno.build.os === "linux") {
    // execPath() has resolved a symlink; argv[0] still names it.
    try {
      const argv0 =
        new TextDecoder().decode(Deno.readFileSync("/proc/self/cmdline")).split("\0")[0];
      if (argv0) names.push(argv0);
    } catch { /* no /proc */ }
  }
  return names;
}
