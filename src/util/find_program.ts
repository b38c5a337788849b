/**
 * Finding a program as lmi runs it: on PATH (with PATHEXT on Windows), skipping PATH entries that
 * are not absolute. A relative entry (`bin`, `.`, an empty one) names a different folder in every
 * directory, and git, Docker and kubectl run lmi in whatever folder the user is in, repositories
 * written by strangers included; as Go's `exec.LookPath` does, lmi never runs a program from
 * such a folder.
 *
 * @module
 */
import { isAbsolute, join } from "./path.ts";

interface FindDeps {
  env(name: string): string | undefined;
  os: typeof Deno.build.os;
}

/** The absolute folders on PATH, in order. */
export function pathDirs(deps: FindDeps): string[] {
  return (deps.env("PATH") ?? "").split(deps.os === "windows" ? ";" : ":").filter((d) =>
    d !== "" && isAbsolute(d)
  );
}

/** Where the program `name` is on PATH, or undefined. */
export function findOnPath(deps: FindDeps, name: string): string | undefined {
  const windows = deps.os === "windows";
  const exts = windows
    ? ["", ...(deps.env("PATHEXT") ?? ".EXE;.CMD;.BAT").split(";").map((e) => e.toLowerCase())]
    : [""];
  for (const dir of pathDirs(deps)) {
    for (const ext of exts) {
      const candidate = join(dir, name + ext);
      try {
        const info = Deno.statSync(candidate);
        if (info.isFile && (windows || info.mode === null || (info.mode & 0o111) !== 0)) {
          return candidate;
        }
      } catch { /* not here */ }
    }
  }
  return undefined;
}
