/**
 * API responses whose body is read under a watchdog (src/http/body.ts): reading fails with the
 * watch's error when the server goes quiet or breaks off. The watch costs next to nothing until
 * the body is read, so a small API call stays as fast as a plain fetch:
 * - the response stays fetch's own object; it gets the prototype below, whose body accessors
 *   add the watch (a new `Response` would copy the headers, tens of microseconds);
 * - `body` is wrapped on first use (a large body then streams through a byte stream that hands
 *   the reader's buffer down);
 * - `text()`, `json()`, `arrayBuffer()` and `bytes()` of a small body of known length are one
 *   native read that must end within the idle timeout (else the request is aborted); other
 *   bodies are read read by read, each wait timed.
 *
 * @module
 */
import type { Output } from "../context.ts";
import { clearAlarm, setAlarm } from "./alarms.ts";
import { readWatched, type StallReason, type WatchOptions, watchStream, withBody } from "./body.ts";

const NULL_BODY_STATUSES = [204, 205, 304];
/** The largest body of known length read whole in one native read. */
const ONE_READ_MAX = 64 * 1024;

const native = Response.prototype;
const nativeBody = Object.getOwnPropertyDescriptor(native, "body")!.get!;
const nativeBodyUsed = Object.getOwnPropertyDescriptor(native, "bodyUsed")!.get!;

interface Watch {
  options: WatchOptions;
  /**
   * The watched body stream, made on first use of `body`. (fetch makes even its own body stream
   * only when asked: a body read whole never needs one.)
   */
  stream?: ReadableStream<Uint8Array<ArrayBuffer>> | null;
  /**
   * Set by `clone()`: `stream` is then one branch of a tee of the fetch body, which reading the
   * clone also consumes, so the fetch body's `bodyUsed` no longer says whether this one was read.
   */
  teed?: { used: boolean };
}

/** Whether the response's body was read or is held by a reader (`bodyUsed`, tee-aware). */
function used(response: Response, watch: Watch): boolean {
  if (watch.teed) return watch.teed.used || watch.stream?.locked === true;
  return nativeBodyUsed.call(response) || watch.stream?.locked === true;
}

/** The fetch body itself, before any watch. */
function sourceOf(response: Response): ReadableStream<Uint8Array<ArrayBuffer>> | null {
  return nativeBody.call(response);
}

const watches = new WeakMap<Response, Watch>();

/** A failure of an already watched stream, as it was. */
function passOn(reason: StallReason): unknown {
  return reason.kind === "failed" ? reason.error : new Error(`stalled (${reason.kind})`);
}

/**
 * The whole body of a watched response, as `read` (a native reader) or `convert` (from bytes)
 * gives it: a body that is small on the wire (its Content-Length) in one native read, any other
 * read by read under the watch, or through `body` once that is in use.
 */
function whole<T>(
  response: Response,
  read: (this: Response) => Promise<T>,
  convert: (bytes: Uint8Array<ArrayBuffer>) => T,
): Promise<T> {
  const watch = watches.get(response)!;
  const options = watch.options;
  const { idleMs } = options;
  if (watch.stream === undefined && options.abort && idleMs !== undefined && !response.bodyUsed) {
    const length = response.headers.get("content-length");
    if (length !== null && length.length <= 6 && Number(length) <= ONE_READ_MAX) {
      let late = false;
      const alarm = setAlarm(idleMs, () => {
        late = true;
        options.abort!(new DOMException("timed out", "TimeoutError"));
      });
      return read.call(response).then((value) => {
        clearAlarm(alarm);
        return value;
      }, (error) => {
        clearAlarm(alarm);
        throw options.fail(late ? { kind: "deadline", ms: idleMs } : { kind: "failed", error });
      });
    }
  }
  return wholeWatched(response, watch, read, convert);
}

/** {@link whole} read by read, or through the watched stream. */
async function wholeWatched<T>(
  response: Response,
  watch: Watch,
  read: (this: Response) => Promise<T>,
  convert: (bytes: Uint8Array<ArrayBuffer>) => T,
): Promise<T> {
  if (watch.stream) {
    // Read from (the fetch body is then disturbed) or held by a reader: used, as fetch says.
    if (used(response, watch)) throw new TypeError("Body already consumed");
    if (watch.teed) watch.teed.used = true;
    // The watched stream times itself; its errors are the watch's already.
    return convert(await readWatched(watch.stream, { fail: passOn }));
  }
  if (response.bodyUsed) throw new TypeError("Body already consumed");
  const source = watch.stream === null ? null : sourceOf(response);
  if (!source) return await read.call(response); // no body
  return convert(await readWatched(source, watch.options, exactLength(response.headers)));
}

/** The prototype of watched responses; never constructed (see {@link watchedResponse}). */
class WatchedResponse extends Response {
  static {
    // `body` is declared as a property in lib.dom, so it is replaced here, not overridden.
    Object.defineProperty(WatchedResponse.prototype, "body", {
      get(this: WatchedResponse) {
        const watch = watches.get(this);
        if (!watch) return nativeBody.call(this);
        if (watch.stream === undefined) {
          const source = sourceOf(this);
          watch.stream = source && watchStream(source, watch.options) as ReadableStream<
            Uint8Array<ArrayBuffer>
          >;
        }
        return watch.stream;
      },
      configurable: true,
    });
    Object.defineProperty(WatchedResponse.prototype, "bodyUsed", {
      get(this: WatchedResponse) {
        const watch = watches.get(this);
        return watch ? used(this, watch) : nativeBodyUsed.call(this);
      },
      configurable: true,
    });
  }

  override bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return whole(this, native.bytes, (b) => b);
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    return whole(
      this,
      native.arrayBuffer,
      (b) =>
        b.byteOffset === 0 && b.byteLength === b.buffer.byteLength
          ? b.buffer
          : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength),
    );
  }

  override text(): Promise<string> {
    return whole(this, native.text, (b) => new TextDecoder().decode(b));
  }

  override json(): Promise<unknown> {
    return whole(this, native.json, (b) => JSON.parse(new TextDecoder().decode(b)));
  }

  override async blob(): Promise<Blob> {
    return await plain(this, await this.bytes()).blob();
  }

  override async formData(): Promise<FormData> {
    return await plain(this, await this.bytes()).formData();
  }

  override clone(): Response {
    const watch = watches.get(this)!;
    const body = this.body;
    if (this.bodyUsed || body?.locked) throw new TypeError("Body already consumed");
    if (!body) return withBody(this, null);
    // Both copies read through the one watched stream.
    const [mine, theirs] = body.tee();
    watch.stream = mine as ReadableStream<Uint8Array<ArrayBuffer>>;
    watch.teed ??= { used: false };
    return withBody(this, theirs);
  }
}

/** A plain response with `response`'s headers and `bytes`, for the formats parsed natively. */
function plain(response: Response, bytes: Uint8Array<ArrayBuffer>): Response {
  return new Response(bytes, { status: response.status, headers: response.headers });
}

/**
 * The body's length in bytes when the headers say it exactly: a Content-Length, and the body
 * sent as it is (fetch decodes a Content-Encoding, and the length is then the encoded one).
 */
function exactLength(headers: Headers): number | undefined {
  const length = headers.get("content-length");
  if (length === null || !/^\d{1,15}$/.test(length)) return undefined;
  const encoding = headers.get("content-encoding");
  if (encoding !== null && encoding.trim().toLowerCase() !== "identity") return undefined;
  return headers.has("transfer-encoding") ? undefined : Number(length);
}

/**
 * `response` (fetch's own object) with its body read under the watch; as it is when it has no
 * body (or a status whose response cannot carry one).
 */
export function watchedResponse(response: Response, options: WatchOptions): Response {
  const { status } = response;
  if (status < 200 || status > 599 || NULL_BODY_STATUSES.includes(status)) return response;
  if (Object.getPrototypeOf(response) !== Response.prototype) {
    // Not fetch's plain Response (a library user's fetch may answer otherwise): a new one.
    const source = sourceOf(response);
    return source ? withBody(response, watchStream(source, options)) : response;
  }
  watches.set(response, { options });
  Object.setPrototypeOf(response, WatchedResponse.prototype);
  return response;
}

/** How often, in parts of the idle timeout, a native pipe pauses to see whether bytes still come. */
const SAMPLES_PER_IDLE = 4;

/**
 * Copy `response`'s body to `out` as it arrives. A watched response going to a file or standard
 * stream (`out.writable`) is piped natively, so the bytes never pass through JavaScript and a
 * large download runs at the speed of the network. The watch then samples instead of timing each
 * read: every quarter of the idle timeout the pipe pauses and one timed read shows whether bytes
 * still come (a slow reader is not a stall: its bytes are waiting). A body that stays quiet ends
 * with the watch's error at most a quarter of the idle timeout later than it would read by read.
 */
export async function pipeBody(response: Response, out: Output): Promise<void> {
  const watch = watches.get(response);
  const sink = out.writable;
  if (!watch || watch.stream !== undefined || !sink) {
    const body = response.body;
    if (body) await out.pipeFrom(body);
    return;
  }
  const source = sourceOf(response);
  watch.stream = source; // used: `body` is the spent stream from now on
  if (!source) return;
  const options = watch.options;
  const { idleMs = Infinity } = options;
  const every = idleMs / SAMPLES_PER_IDLE;
  for (;;) {
    const pause = new AbortController();
    const alarm = every === Infinity ? undefined : setAlarm(every, () => pause.abort());
    try {
      await source.pipeTo(sink, {
        preventClose: true,
        preventAbort: true,
        preventCancel: true,
        signal: pause.signal,
      });
      return;
    } catch (error) {
      if (!pause.signal.aborted) throw await pipeFailure(source, error, watch.options);
    } finally {
      clearAlarm(alarm);
    }
    // Paused: does a byte come within the idle timeout?
    const reader = source.getReader();
    let quiet = false;
    const check = setAlarm(idleMs, () => {
      quiet = true;
      reader.cancel().catch(() => {});
    });
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await reader.read();
    } catch (error) {
      throw options.fail(quiet ? { kind: "idle", ms: idleMs } : { kind: "failed", error });
    } finally {
      clearAlarm(check);
    }
    if (quiet) throw options.fail({ kind: "idle", ms: idleMs });
    reader.releaseLock();
    if (next.done) return;
    await out.write(next.value);
  }
}

/**
 * Why a pipe failed: the body breaking off (the watch's error), or the destination (its own
 * error, as it was; the body is then cancelled, as a pipe without preventCancel would). A native
 * pipe leaves no trace of which side failed on the streams, so the body is read once more: bytes
 * mean it was fine, an error or its end mean it broke off.
 */
async function pipeFailure(
  source: ReadableStream<Uint8Array>,
  error: unknown,
  options: WatchOptions,
): Promise<unknown> {
  const { idleMs = Infinity } = options;
  const reader = source.getReader();
  let bodyFine = error instanceof Deno.errors.BrokenPipe;
  if (!bodyFine) {
    // A body that is quiet now is not known to have failed: the destination's error stands.
    const quiet = idleMs === Infinity ? undefined : setAlarm(idleMs, () => {
      bodyFine = true;
      reader.cancel().catch(() => {});
    });
    try {
      if (!(await reader.read()).done) bodyFine = true;
    } catch {
      // broken off
    } finally {
      clearAlarm(quiet);
    }
  }
  if (!bodyFine) return options.fail({ kind: "failed", error });
  await reader.cancel(error).catch(() => {});
  return error;
}
