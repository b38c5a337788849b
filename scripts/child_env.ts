/**
 * The environment of every child process the tests, the demo and the benchmarks start, built in
 * one place. Children run with a clean environment (`clearEnv: true`) plus this: PATH, Deno's
 * cache folder, the machine's CA settings (so a child that must download npm packages can, behind
 * a TLS-inspecting proxy too), what Windows programs cannot run without, and, when the child gets
 * a home of its own, the variables that point there.
 *
 * @module
 */
import { join } from "node:path";

/**
 * The machine's trust settings: Deno's own (`DENO_CERT`, `DENO_TLS_CA_STORE`), the one Deno and
 * Node both read (`NODE_EXTRA_CA_CERTS`), and OpenSSL's, which the OS trust store follows on
 * Linux (`SSL_CERT_FILE`, `SSL_CERT_DIR`).
 */
export const CA_VARS = [
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
] as const;

/**
 * What every Windows program needs from its environment, which a clean one lacks (without
 * SystemRoot, for one, sockets cannot be opened). Nothing elsewhere.
 */
export const WINDOWS_VARS = [
  "SystemRoot",
  "SystemDrive",
  "windir",
  "ComSpec",
  "PATHEXT",
  "TEMP",
  "TMP",
] as const;

/** The environment a child's is built from: this process's, unless a test gives another. */
export interface ParentEnv {
  get(name: string): string | undefined;
  os: typeof Deno.build.os;
}

const THIS_PROCESS: ParentEnv = { get: (name) => Deno.env.get(name), os: Deno.build.os };

export interface ChildEnvOptions {
  /** The child's home: HOME (on Windows also USERPROFILE, APPDATA, LOCALAPPDATA) point there. */
  home?: string;
  /** PATH (default: the parent's). */
  path?: string;
  /**
   * Deno's cache folder (default: the parent's, see denoDir). An empty folder makes a Deno child
   * download its npm packages, as on a machine that never ran it.
   */
  denoDir?: string;
  /** Added last: they win over everything above. */
  vars?: Record<string, string>;
}

/** A child's whole environment (for `new Deno.Command(…, { clearEnv: true, env })`). */
export function childEnv(
  options: ChildEnvOptions = {},
  parent: ParentEnv = THIS_PROCESS,
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: options.path ?? parent.get("PATH") ?? "/usr/bin:/bin",
    ...(options.home !== undefined ? homeVars(options.home, parent.os) : {}),
    DENO_DIR: options.denoDir ?? denoDir(parent),
  };
  const names = parent.os === "windows" ? [...WINDOWS_VARS, ...CA_VARS] : CA_VARS;
  for (const name of names) {
    const value = parent.get(name);
    if (value) env[name] = value;
  }
  return { ...env, ...options.vars };
}

/**
 * The variables that put a user's home at `home` (DESIGN.md, Paths): HOME, and on Windows the
 * folders lmi uses instead (APPDATA: the user config and the SSO file store; LOCALAPPDATA: the
 * cache), inside it too.
 */
export function homeVars(
  home: string,
  os: typeof Deno.build.os = Deno.build.os,
): Record<string, string> {
  if (os !== "windows") return { HOME: home };
  return {
    HOME: home,
    USERPROFILE: home,
    APPDATA: join(home, "AppData", "Roaming"),
    LOCALAPPDATA: join(home, "AppData", "Local"),
  };
}

/**
 * Deno's own cache folder (DENO_DIR, else Deno's default for the OS), so a child with another
 * HOME still finds the npm packages.
 */
export function denoDir(parent: ParentEnv = THIS_PROCESS): string {
  const explicit = parent.get("DENO_DIR");
  if (explicit) return explicit;
  const home = parent.get("HOME") ?? parent.get("USERPROFILE") ?? "/root";
  switch (parent.os) {
    case "windows":
      return join(parent.get("LOCALAPPDATA") ?? join(home, "AppData", "Local"), "deno");
    case "darwin":
      return join(home, "Library", "Caches", "deno");
    default:
      return join(parent.get("XDG_CACHE_HOME") ?? join(home, ".cache"), "deno");
  }
}
