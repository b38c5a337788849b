/** Small file-system questions tests ask. */

/** Whether anything (a file, a folder, a link, even a dangling one) is at `path`. */
export function exists(path: string): Promise<boolean> {
  return Deno.lstat(path).then(() => true, () => false);
}
