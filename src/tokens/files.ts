/**
 * The token cache on disk: a private folder (0700), files written whole (temp file in the same
 * folder, then rename) with mode 0600, and reads that treat a missing file as empty.
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
