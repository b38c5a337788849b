/**
 * Reading response bodies from servers lmi does not control: at most a given number of bytes
 * (never more in memory), and a watchdog that ends a body which stops arriving (no byte for a
 * while, or not all of it by a deadline). Pure stream plumbing; callers word the errors.
 *
 * @module
 */
import { clearAlarm, setAlarm } from "./alarms.ts";

/** A body read up to a limit: the bytes, and whether that was all of it. */
export interface BoundedBody {
  bytes: Uint8Array<ArrayBuffer>;
  /** False when the body went on past `maxBytes` (the rest was not read). */
  complete: boolean;
}

/** Read `stream` into memory, stopping (and cancelling it) once it passes `maxBytes`. */
export async function readBounded(
  stream: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<BoundedBody> {
  if (!stream) return { bytes: new Uint8Array(0), complete: true };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return { bytes: concat(chunks, size - value.length), complete: false };
    }
    chunks.push(value);
  }
  return { bytes: concat(chunks, size), complete: true };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Why a watched body ended early: silence, the deadline, or the connection failing. */
export type StallReason = { kind: "idle" | "deadline"; ms: number } | {
  kind: "failed";
  error: unknown;
};

export interface WatchOptions {
  /** End the body when no byte arrives for this long (time spent waiting on the reader only). */
  idleMs?: number;
  /** End the body when it has not all arrived this long after the watch began. */
  totalMs?: number;
  /** The error the body ends with. (Called as a method: `options.fail(…)`.) */
  fail(reason: StallReason): unknown;
  /**
   * Ends the request the body belongs to (its fetch's abort). With it, a small body of known
   * length may be read whole in one native read, ended by this when it takes too long.
   */
  abort?(reason: unknown): void;
}

/** Times a body's reads: `wait(read)` is `read`, with `onStall` called if it waits too long. */
export type Wait = <T>(read: Promise<T>) => Promise<T>;

/**
 * The watchdog of one body: each wait for the source may last `idleMs`, and none may end past
 * `totalMs` after this call. An alarm (src/http/alarms.ts) is set only while a read waits, so a
 * reader that stops reading is never a stall, and a chunk costs no timer.
 */
export function watchdog(
  options: Pick<WatchOptions, "idleMs" | "totalMs">,
  onStall: (reason: StallReason) => void,
): Wait {
  const { idleMs = Infinity, totalMs } = options;
  const deadline = totalMs === undefined ? Infinity : performance.now() + totalMs;
  return async (read) => {
    const left = deadline - performance.now();
    const byDeadline = left <= idleMs;
    const wait = Math.max(0, byDeadline ? left : idleMs);
    const alarm = wait === Infinity ? undefined : setAlarm(
      wait,
      () => onStall(byDeadline ? { kind: "deadline", ms: totalMs! } : { kind: "idle", ms: idleMs }),
    );
    try {
      return await read;
    } finally {
      clearAlarm(alarm);
    }
  };
}

/**
 * `stream` as a stream that errors with `fail(…)` when it goes quiet, passes its deadline or
 * breaks off. Only time spent waiting for the server counts: a slow reader is not a stall.
 * Over a byte stream (a fetch body) it is a byte stream handing the reader's buffer down, so a
 * large body is neither copied nor cut into small chunks on the way.
 */
export function watchStream(
  stream: ReadableStream<Uint8Array>,
  options: WatchOptions,
): ReadableStream<Uint8Array> {
  let stalled: StallReason | undefined;
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = stream.getReader({ mode: "byob" });
  } catch {
    // not a byte stream: passed on chunk by chunk
  }
  const reader = byob ?? stream.getReader();
  let controller: ReadableStreamDefaultController<Uint8Array> | ReadableByteStreamController;
  const wait = watchdog(options, (reason) => {
    stalled = reason;
    reader.cancel().catch(() => {});
    controller.error(options.fail(reason));
  });
  /** The next chunk, or undefined once the stream has ended (closed, stalled or failed). */
  async function next(
    read: () => Promise<ReadableStreamReadResult<Uint8Array<ArrayBuffer>>>,
  ): Promise<ReadableStreamReadResult<Uint8Array<ArrayBuffer>> | undefined> {
    try {
      const result = await wait(read());
      return stalled ? undefined : result;
    } catch (error) {
      if (!stalled) controller.error(options.fail({ kind: "failed", error }));
      return undefined;
    }
  }
  if (byob) {
    const source = byob;
    return new ReadableStream({
      type: "bytes",
      autoAllocateChunkSize: 64 * 1024,
      start(c) {
        controller = c;
      },
      async pull(c) {
        const request = c.byobRequest!;
        const result = await next(() => source.read(request.view as Uint8Array<ArrayBuffer>));
        if (!result) return;
        if (result.done) {
          c.close();
          // The source took the buffer: the pending read is answered with it, empty.
          if (result.value) request.respondWithNewView(result.value);
        } else {
          request.respondWithNewView(result.value);
        }
      },
      cancel: (reason) => source.cancel(reason),
    });
  }
  const source = reader as ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>;
  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    async pull(c) {
      const result = await next(() => source.read());
      if (!result) return;
      if (result.done) c.close();
      else c.enqueue(result.value);
    },
    cancel: (reason) => source.cancel(reason),
  }, { highWaterMark: 0 });
}

/**
 * All of `stream` in memory, read under a {@link watchdog}: it fails with `fail(…)` when the
 * source goes quiet, passes its deadline or breaks off. A byte stream (a fetch body) is read
 * straight into one buffer; when its exact `length` is known (the Content-Length of a body sent
 * as is), the buffer is that size and reading stops once it is full, without waiting for the
 * end-of-body read.
 */
export async function readWatched(
  stream: ReadableStream<Uint8Array>,
  options: WatchOptions,
  length?: number,
): Promise<Uint8Array<ArrayBuffer>> {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = stream.getReader({ mode: "byob" });
  } catch {
    // not a byte stream: read chunk by chunk
  }
  const reader = byob ?? stream.getReader();
  let stalled: StallReason | undefined;
  const wait = watchdog(options, (reason) => {
    stalled = reason;
    reader.cancel().catch(() => {});
  });
  const next = async <T>(read: Promise<T>): Promise<T> => {
    let result: T;
    try {
      result = await wait(read);
    } catch (error) {
      throw options.fail(stalled ?? { kind: "failed", error });
    }
    if (stalled) throw options.fail(stalled);
    return result;
  };
  if (byob) {
    let buffer = new Uint8Array(Math.min(length ?? FIRST_BUFFER, MAX_FIRST_BUFFER));
    let filled = 0;
    for (;;) {
      if (filled === buffer.length) {
        if (filled === length) {
          await byob.cancel(); // all of it: the connection is free already
          break;
        }
        const grown = new Uint8Array(Math.min(2 * filled || FIRST_BUFFER, length ?? Infinity));
        grown.set(buffer);
        buffer = grown;
      }
      const { done, value } = await next(byob.read(buffer.subarray(filled)));
      if (value) {
        buffer = new Uint8Array(value.buffer);
        filled += value.length;
      }
      if (done) break;
    }
    return filled === buffer.length ? buffer : buffer.subarray(0, filled);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await next((reader as ReadableStreamDefaultReader<Uint8Array>).read());
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  const only = chunks[0];
  if (chunks.length === 1 && only!.buffer instanceof ArrayBuffer) {
    return only as Uint8Array<ArrayBuffer>;
  }
  return concat(chunks, size);
}

/** The first buffer for a body of unknown length. */
const FIRST_BUFFER = 4096;
/** The largest buffer made before any byte has arrived (a Content-Length may be far off). */
const MAX_FIRST_BUFFER = 16 * 1024 * 1024;

/** `response` with `body` in place of its own (status, headers, url and redirected kept). */
export function withBody(response: Response, body: BodyInit | null): Response {
  if (response.status < 200 || response.status > 599) return response;
  const nullBody = [204, 205, 304].includes(response.status);
  const out = new Response(nullBody ? null : body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  Object.defineProperties(out, {
    url: { value: response.url },
    redirected: { value: response.redirected },
  });
  return out;
}
