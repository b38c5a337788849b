/**
 * Reading response bodies from servers lmi does not control: at most a given number of bytes
 * (never more in memory), and a watchdog that ends a body which stops arriving (no byte for a
 * while, or not all of it by a deadline). Pure stream plumbing; callers word the errors.
 *
 * @module
 */

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
  /** The error the body ends with. */
  fail(reason: StallReason): unknown;
}

/**
 * `stream` as a stream that errors with `fail(…)` when it goes quiet, passes its deadline or
 * breaks off. Only time spent waiting for the server counts: a slow reader is not a stall.
 */
export function watchStream(
  stream: ReadableStream<Uint8Array>,
  options: WatchOptions,
): ReadableStream<Uint8Array> {
  const { idleMs, totalMs, fail } = options;
  const reader = stream.getReader();
  const deadline = totalMs === undefined ? undefined : performance.now() + totalMs;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const left = deadline === undefined ? Infinity : deadline - performance.now();
      const byDeadline = left <= (idleMs ?? Infinity);
      const wait = Math.max(0, byDeadline ? left : idleMs!);
      const reason: StallReason = byDeadline
        ? { kind: "deadline", ms: totalMs! }
        : { kind: "idle", ms: idleMs! };
      let timer: ReturnType<typeof setTimeout> | undefined;
      const quiet = new Promise<StallReason>((resolve) => {
        if (wait !== Infinity) timer = setTimeout(() => resolve(reason), wait);
      });
      try {
        const next = await Promise.race([reader.read(), quiet]);
        if ("kind" in next) {
          reader.cancel().catch(() => {});
          controller.error(fail(next));
        } else if (next.done) {
          controller.close();
        } else {
          controller.enqueue(next.value);
        }
      } catch (error) {
        controller.error(fail({ kind: "failed", error }));
      } finally {
        clearTimeout(timer);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

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
