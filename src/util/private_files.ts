/**
 * The one rule for lmi's own files on disk (service-token cache, JWKS cache, parsed-config cache,
 * SSO file store): a private folder (0700), files written whole (temp file in the same folder,
 * then rename) with mode 0600, and one rule for reading them: a file others can read is refused
 * (the caller warns and replaces it), never silently repaired.
 *
 * @module
 */
import { dirname, join } from "./path.ts";

const isPosix = () => Deno.build.os !== "windows";

/** A folder or file lmi will not use: a link it did not make, another user's, open to others. */
export class UnsafePathError extends Error {
  override name = "UnsafePathError";
}

let uidMemo: number | null | undefined;

/** This process's uid on POSIX (null where it cannot be known without asking). */
export function currentUid(): number | null {
  if (uidMemo !== undefined) return uidMemo;
  if (!isPosix()) return uidMemo = null;
  try {
    if (Deno.permissions.querySync({ name: "sys", kind: "uid" }).state === "granted") {
      return uidMemo = Deno.uid();
    }
  } catch { /* older runtimes: fall through */ }
  try {
    return uidMemo = Deno.statSync("/proc/self").uid;
  } catch {
    return uidMemo = null;
  }
}

/** Why lmi must not trust this entry (a folder or a file), or undefined when it may. */
export function distrust(info: Deno.FileInfo, kind: "folder" | "file"): string | undefined {
  if (info.isSymlink) return "it is a symbolic link";
  if (kind === "folder" ? !info.isDirectory : !info.isFile) {
    return kind === "folder" ? "it is not a folder" : "it is not a regular file";
  }
  if (!isPosix()) return undefined;
  const uid = currentUid();
  if (uid !== null && info.uid !== null && info.uid !== uid) {
    return `it belongs to another user (uid ${info.uid})`;
  }
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8);
    return `its mode ${mode} lets others ${kind === "folder" ? "in" : "read it"}`;
  }
  return undefined;
}

/**
 * Make lmi's own folders: `dir` and the `ownLevels - 1` folders above it (`<cache>/lmi/tokens`:
 * `lmi` and `tokens`). Each is created 0700, or, when it exists, used only if it is a real folder
 * (not a symbolic link), owned by this user and closed to others; lmi never changes the mode of
 * anything it did not just create. The folder above them (the user's cache or data folder) is
 * created if missing.
 */
export async function ensurePrivateDir(dir: string, ownLevels = 2): Promise<void> {
  const own: string[] = [];
  let path = dir;
  for (let i = 0; i < ownLevels; i++) {
    own.unshift(path);
    path = dirname(path);
  }
  await Deno.mkdir(path, { recursive: true });
  for (const folder of own) {
    try {
      await Deno.mkdir(folder, { mode: 0o700 });
      continue; // just created, private by its mode
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
    const why = distrust(await Deno.lstat(folder), "folder");
    if (why) throw new UnsafePathError(`refusing to use ${folder}: ${why}`);
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

/**
 * The largest of lmi's own files it reads (64 MiB): far above any it writes (the parsed-config
 * cache holds at most 8 configs of at most 1 MiB each; IdP answers are at most 1 MiB), so a file
 * planted in a cache folder restored from elsewhere cannot make lmi read without end.
 */
export const MAX_PRIVATE_FILE_BYTES = 64 * 1024 * 1024;

/** What reading one of lmi's private files found. */
export type PrivateRead =
  | { state: "ok"; text: string }
  | { state: "missing" }
  /** A link, another user's file, readable by group or others, or too large: not trusted. */
  | { state: "unsafe"; why: string }
  | { state: "error"; reason: string };

function failure(err: unknown): PrivateRead {
  if (err instanceof Deno.errors.NotFound) return { state: "missing" };
  return { state: "error", reason: err instanceof Error ? err.message : String(err) };
}

/** Why lmi does not read this file of its own, or undefined when it may. */
function distrustFile(info: Deno.FileInfo): string | undefined {
  return distrust(info, "file") ??
    (info.size > MAX_PRIVATE_FILE_BYTES ? "it is larger than lmi writes (64 MiB)" : undefined);
}

/**
 * Read one of lmi's files under the one rule: a regular file, this user's, closed to others, of
 * at most {@link MAX_PRIVATE_FILE_BYTES}.
 */
export async function readPrivateFile(path: string): Promise<PrivateRead> {
  try {
    const why = distrustFile(await Deno.lstat(path));
    if (why) return { state: "unsafe", why };
    return { state: "ok", text: await Deno.readTextFile(path) };
  } catch (err) {
    return failure(err);
  }
}

/** {@link readPrivateFile}, synchronously (the warm token path avoids async file operations). */
export function readPrivateFileSync(path: string): PrivateRead {
  try {
    const why = distrustFile(Deno.lstatSync(path));
    if (why) return { state: "unsafe", why };
    return { state: "ok", text: Deno.readTextFileSync(path) };
  } catch (err) {
    return failure(err);
  }
}

/** The warning for a file {@link readPrivateFile} refused. */
export function unsafeFileWarning(path: string, why: string): string {
  return `ignoring ${path}: ${why}; it will be replaced`;
}

/**
 * Remove `<base>.<random>.tmp` files next to `path` that a killed writer left (call it with the
 * file's lock held, so no writer of it is under way).
 */
export async function removeStaleTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const base = path.slice(dir.length + 1);
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.startsWith(`${base}.`) && entry.name.endsWith(".tmp")) {
        await removeIfExists(join(dir, entry.name)).catch(() => false);
      }
    }
  } catch { /* no folder: nothing to clean */ }
}
