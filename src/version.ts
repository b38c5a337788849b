/**
 * lmi's version, from deno.json (the one place it is written), and the build information
 * `lmi --version` shows: the Deno runtime and target it runs on and, in a compiled binary, the git
 * commit it was built from (stamped in by scripts/compile.ts's generated entry point).
 *
 * @module
 */
import config from "../deno.json" with { type: "json" };

export const VERSION: string = config.version;

/** What `deno task compile` stamps into a binary. */
export interface BuildStamp {
  /** The git commit the binary was built from. */
  commit: string;
}

/** `lmi --version --json`. */
export interface BuildInfo {
  version: string;
  /** The Deno version lmi runs on (in a binary: the one it was compiled with). */
  deno: string;
  /** The target triple, e.g. `x86_64-unknown-linux-gnu`. */
  target: string;
  /** The git commit of a compiled binary; null under `deno run`. */
  commit: string | null;
  /** Whether this is a `deno compile` binary. */
  compiled: boolean;
}

/** The build information of this process; `stamp` is what the compiled entry point passes. */
export function buildInfo(
  stamp?: BuildStamp,
  runtime: { build: { target: string; standalone: boolean }; version: { deno: string } } = Deno,
): BuildInfo {
  const compiled = runtime.build.standalone;
  return {
    version: VERSION,
    deno: runtime.version.deno,
    target: runtime.build.target,
    commit: compiled ? stamp?.commit ?? null : null,
    compiled,
  };
}

/** The `lmi --version` text: `lmi 0.1.0`, then the Deno version, target and commit. */
export function formatBuildInfo(info: BuildInfo): string {
  const lines = [
    `lmi ${info.version}${info.compiled ? "" : " (deno run)"}`,
    `deno ${info.deno}`,
    `target ${info.target}`,
  ];
  if (info.commit !== null) lines.push(`commit ${info.commit}`);
  return lines.join("\n") + "\n";
}
