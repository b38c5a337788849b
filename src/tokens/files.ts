/**
 * lmi's files on disk (service-token cache, JWKS cache, SSO file store): a private folder (0700),
 * files written whole (temp file in the same folder, then rename) with mode 0600, and one rule for
 * reading them: a file others can read is refused (the caller warns and replaces it), never
 * silently repaired.
 *
 * @module
 */
import { join } from "../util/path.ts";

/** Paths of one env's cache entry, its lock and its issuer's JWKS. */
export interface EnvFiles {
  dir: string;
  token: string;
  lock: string;
  jwks: string;
}

export function envFiles(dir: string, env: string): EnvFiles {
  return {
    dir,
    token: join(dir, `${env}.json`),
    lock: join(dir, `${env}.lock`),
    jwks: join(dir, `${env}.jwks.json`),
  };
}

const isPosix = () => Deno.build.os !== "windows";

/** Create the folder (and parents) if needed, and make it private on POSIX. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  if (isPosix()) {
    const info = await Deno.stat(dir);
    if (info.mode !== null && (info.mode & 0o077) !== 0) await Deno.chmod(dir, 0o700);
  }
}

/** Write `text` to `path` atomically with mode 0600: a reader sees the old or the new file whole. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeTextFile(tmp, text, { mode: 0o600, createNew: true });
    if (isPosix()) await Deno.chmod(tmp, 0o600);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** The file's text, or undefined when it does not exist. Other errors are thrown. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** Remove a file; true when it existed. */
export async function removeIfExists(path: string): Promise<boolean> {
  try {
    await Deno.remove(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** What reading one of lmi's private files found. */
export type PrivateRead =
  | { state: "ok"; text: string }
  | { state: "missing" }
  /** Readable by group or others: not trusted. */
  | { state: "unsafe"; mode: number }
  | { state: "error"; reason: string };

function unsafeMode(mode: number | null): number | undefined {
  return isPosix() && mode !== null && (mode & 0o077) !== 0 ? mode & 0o777 : undefined;
}

function failure(err: unknown): PrivateRead {
  if (err instanceof Deno.errors.NotFound) return { state: "missing" };
  return { state: "error", reason: err instanceof Error ? err.message : String(err) };
}

/** Read one of lmi's files under the one mode rule. */
export async function readPrivateFile(path: string): Promise<PrivateRead> {
  try {
    const mode = unsafeMode((await Deno.stat(path)).mode);
    if (mode !== undefined) return { state: "unsafe", mode };
    return { state: "ok", text: await Deno.readTextFile(path) };
  } catch (err) {
    return failure(err);
  }
}

/** {@link readPrivateFile}, synchronously (the warm token path avoids async file operations). */
export function readPrivateFileSync(path: string): PrivateRead {
  try {
    const mode = unsafeMode(Deno.statSync(path).mode);
    if (mode !== undefined) return { state: "unsafe", mode };
    return { state: "ok", text: Deno.readTextFileSync(path) };
  } catch (err) {
    return failure(err);
  }
}

/** The warning for a file {@link readPrivateFile} refused. */
export function unsafeFileWarning(path: string, mode: number): string {
  return `ignoring ${path}: its mode ${mode.toString(8)} lets others read it; it will be replaced`;
}
