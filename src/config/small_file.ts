/**
 * Reading a file a config names or a repository holds (the config, `.env`, `ca_file`): only a
 * regular file, and only up to a size limit. A device (`/dev/zero`), a FIFO or a folder is refused
 * before it is opened, and the read stops one byte past the limit whatever `stat` said.
 *
 * @module
 */

/** The largest config file, `.env` file or `ca_file` lmi reads (1 MiB). */
export const MAX_FILE_BYTES = 1024 * 1024;

/** Why a folder, device or FIFO was not read. */
export const NOT_A_FILE = "not a regular file";

/** The file's text, or why it was not read (`NOT_A_FILE`, `"larger than 1 MiB"`). */
export type SmallFile = { text: string; bytes: Uint8Array } | { refused: string };

/**
 * Read `path` as UTF-8 when it is a regular file of at most `maxBytes`. Errors from the file
 * system (not found, permission denied) are thrown as they are.
 */
export function readSmallFile(path: string, maxBytes = MAX_FILE_BYTES): SmallFile {
  if (!Deno.statSync(path).isFile) return { refused: NOT_A_FILE };
  using file = Deno.openSync(path);
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size <= maxBytes) {
    const chunk = new Uint8Array(Math.min(maxBytes + 1 - size, 64 * 1024));
    const n = file.readSync(chunk);
    if (n === null) break;
    chunks.push(chunk.subarray(0, n));
    size += n;
  }
  if (size > maxBytes) return { refused: `larger than ${formatBytes(maxBytes)}` };
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return { text: new TextDecoder().decode(bytes), bytes };
}

export function formatBytes(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
