/**
 * Lines from a byte stream such as stdin, whether a terminal (a line per read) or a pipe (many
 * lines, or part of one, per read): what is read past a line's end is kept for the next line.
 * Bounded: a line longer than asked for is cut and the rest of it skipped, so whatever feeds
 * stdin cannot fill memory.
 *
 * @module
 */

/** Where the bytes come from (`Deno.stdin`, or a test's chunks). */
export interface ByteSource {
  /** Bytes into `p`; null (or 0) at end of input. */
  read(p: Uint8Array): Promise<number | null>;
}

/** How long a line is unless the caller says otherwise. */
export const DEFAULT_LINE_BYTES = 4096;

/** Read at most this much at a time. */
const CHUNK_BYTES = 4096;

/**
 * A function that resolves to the next line of `source` (without `\n` or `\r\n`), or null at
 * the end of input (and from then on). A line longer than `maxBytes` comes back as its first
 * `maxBytes + 1` bytes, decoded: longer than `maxBytes` means the line was too long. Calls made
 * before an earlier one resolved wait their turn.
 *
 * @example
 * ```ts
 * const readLine = lineReader(Deno.stdin);
 * const answer = await readLine(8192);
 * ```
 */
export function lineReader(source: ByteSource): (maxBytes?: number) => Promise<string | null> {
  const decoder = new TextDecoder();
  let buffered = new Uint8Array(0);
  let ended = false;
  let turn: Promise<unknown> = Promise.resolve();

  async function next(maxBytes: number): Promise<string | null> {
    const kept = new Uint8Array(maxBytes + 1);
    let size = 0;
    let started = false;
    const keep = (bytes: Uint8Array) => {
      if (bytes.length > 0) started = true;
      const take = Math.min(bytes.length, kept.length - size);
      kept.set(bytes.subarray(0, take), size);
      size += take;
    };
    const line = () => decoder.decode(kept.subarray(0, size)).replace(/\r$/, "");
    for (;;) {
      const end = buffered.indexOf(10);
      if (end >= 0) {
        keep(buffered.subarray(0, end));
        buffered = buffered.subarray(end + 1);
        return line();
      }
      keep(buffered);
      buffered = new Uint8Array(0);
      if (ended) return started ? line() : null;
      const chunk = new Uint8Array(CHUNK_BYTES);
      const n = await source.read(chunk);
      if (n === null || n === 0) ended = true;
      else buffered = chunk.subarray(0, n);
    }
  }

  return (maxBytes = DEFAULT_LINE_BYTES) => {
    const result = turn.then(() => next(maxBytes));
    turn = result.catch(() => {});
    return result;
  };
}
