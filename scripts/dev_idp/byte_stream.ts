/**
 * The body of the API's /bytes/:n: a byte pattern streamed in chunks, cut off when the IdP
 * closes.
 *
 * @module
 */

const BYTES_CHUNK = 64 * 1024;

/**
 * `total` bytes (0, 1, … 255, 0, …) in chunks of 64 KiB. Closing the IdP errors the stream, so
 * that a client that stopped reading cannot hold up close().
 */
export function byteStream(total: number, closing: AbortSignal): ReadableStream<Uint8Array> {
  const pattern = new Uint8Array(BYTES_CHUNK).map((_, i) => i % 256);
  let sent = 0;
  let onClose = () => {};
  const done = () => closing.removeEventListener("abort", onClose);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      onClose = () => {
        done();
        try {
          controller.error(new Error("the dev IdP is closing"));
        } catch {
          // already closed
        }
      };
      if (closing.aborted) onClose();
      else closing.addEventListener("abort", onClose, { once: true });
    },
    pull(controller) {
      const n = Math.min(BYTES_CHUNK, total - sent);
      if (n <= 0) {
        done();
        controller.close();
        return;
      }
      controller.enqueue(pattern.slice(0, n));
      sent += n;
    },
    cancel: done,
  }, { highWaterMark: 1 });
}
