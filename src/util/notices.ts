/**
 * Notices lmi shows a user once rather than on every command (that the SSO session lives in a
 * file because no keychain answered): remembered in `<data>/lmi/notices.json`, under the rule
 * for lmi's private files (src/util/private_files.ts). Where nothing can be remembered (no data
 * folder, a file lmi may not use, a write that fails) the notice is shown, as before.
 *
 * @module
 */
import { join } from "./path.ts";
import { ensurePrivateDir, readPrivateFile, writeFileAtomic } from "./private_files.ts";

/** The file in `<data>/lmi` that holds the notices already shown. */
export const NOTICES_FILE = "notices.json";

/** The keys recorded in the file's text (none when it is not lmi's notices file). */
function recorded(text: string): string[] {
  try {
    const doc = JSON.parse(text) as { shown?: unknown };
    return Array.isArray(doc.shown) ? doc.shown.filter((k) => typeof k === "string") : [];
  } catch {
    return [];
  }
}

/**
 * True the first time the notice `key` comes up for this user (`dir` is `<data>/lmi`), which
 * is remembered so that the next run says false; always true where it cannot be remembered.
 */
export async function firstNotice(dir: string | undefined, key: string): Promise<boolean> {
  if (dir === undefined) return true;
  const path = join(dir, NOTICES_FILE);
  const read = await readPrivateFile(path);
  const shown = read.state === "ok" ? recorded(read.text) : [];
  if (shown.includes(key)) return false;
  try {
    await ensurePrivateDir(dir, 1);
    await writeFileAtomic(path, JSON.stringify({ version: 1, shown: [...shown, key] }) + "\n");
  } catch {
    // Shown now, and again next time: better than never.
  }
  return true;
}
