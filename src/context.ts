/**
 * The one dependencies object. Everything below the CLI edge reaches the outside world only
 * through it (network, clock, environment, working directory, output streams, terminal state,
 * the key of lmi's caches), so tests pass their own values and never stub globals.
 *
 * @module
 */
import type { CacheKey } from "./util/cache_key.ts";

/** An access token ready to use (what every token source gives). Times in ms since the epoch. */
export interface TokenSet {
  accessToken: string;
  tokenType: string;
  /** Undefined when the IdP gave no expiry and the token is not a JWT. */
  expiresAt?: number;
  scope?: string;
  refreshToken?: string;
  obtainedAt: number;
  /** DPoP (RFC 9449): the key the token is bound to; requests carry a proof made with it. */
  dpopKey?: DpopKey;
}

/** A DPoP key pair (ES256) and the thumbprint (RFC 7638) tokens bound to it carry as `cnf.jkt`. */
export interface DpopKey {
  privateKey: CryptoKey;
  /** Extractable: it goes into every proof's header. */
  publicKey: CryptoKey;
  publicJwk: { kty: string; crv: string; x: string; y: string };
  jkt: string;
}

/** Somewhere to write bytes or text (stdout, stderr, or a test buffer). */
export interface Output {
  write(chunk: string | Uint8Array): Promise<void>;
  /** Whether this stream is an interactive terminal. */
  readonly isTerminal: boolean;
  /** Copy a whole stream here (large bodies: no copy through JavaScript where the runtime can avoid it). */
  pipeFrom(stream: ReadableStream<Uint8Array>): Promise<void>;
  /**
   * The stream of a file or standard stream, when this output is one: a fetch body piped to it
   * goes from socket to file without passing through JavaScript.
   */
  readonly writable?: WritableStream<Uint8Array>;
}

export interface Deps {
  /**
   * The one fetch every IdP, JWKS and API request goes through (the library's `fetch` option
   * replaces it). Trust (the OS store, an env's `ca_file`) is added on top by `envFetch`.
   */
  fetch: typeof globalThis.fetch;
  /** Current time in milliseconds since the epoch. */
  now(): number;
  /** Read one environment variable. */
  env(name: string): string | undefined;
  /** All environment variables (for child processes). */
  envAll(): Record<string, string>;
  cwd: string;
  os: typeof Deno.build.os;
  stdout: Output;
  stderr: Output;
  /** Whether stdin is an interactive terminal. */
  stdinIsTerminal: boolean;
  /**
   * All of stdin (for `-d @-`), or with `maxBytes` at most `maxBytes + 1` bytes: a result longer
   * than `maxBytes` means stdin held more, which is left unread.
   */
  readStdin(maxBytes?: number): Promise<Uint8Array<ArrayBuffer>>;
  /**
   * The next line of stdin, a terminal's or a pipe's (an answer to a question, a pasted
   * address), without its line ending; null at end of input. Bounded: a line longer than
   * `maxBytes` (default 4 KiB) comes back as its first `maxBytes + 1` bytes, the rest skipped.
   */
  readLine(maxBytes?: number): Promise<string | null>;
  /** Wait `ms` milliseconds (injected so retries and waits are tested without sleeping). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Hear the person interrupt lmi (Ctrl-C: SIGINT) instead of being ended by it, until the
   * returned function is called. A listener must then end the run (exit 130).
   */
  onInterrupt(listener: () => void): () => void;
  /**
   * The per-user key the warm path's caches are MACed with (`<data>/lmi/cache.key`,
   * src/util/cache_key.ts): one per process, so its file is read at most once.
   */
  cacheKey: CacheKey;
}

const encoder = new TextEncoder();

/**
 * An {@link Output} over a Deno writer such as `Deno.stdout`. Writes are synchronous: a CLI's
 * output is small, and the first asynchronous operation of a process costs a thread-pool start.
 */
export function writerOutput(
  writer: {
    writeSync(p: Uint8Array): number;
    isTerminal(): boolean;
    readonly writable: WritableStream<Uint8Array>;
  },
): Output {
  return {
    isTerminal: writer.isTerminal(),
    get writable() {
      return writer.writable;
    },
    pipeFrom: (stream) => stream.pipeTo(writer.writable, { preventClose: true }),
    write(chunk) {
      let bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
      while (bytes.length > 0) {
        const n = writer.writeSync(bytes);
        bytes = bytes.subarray(n);
      }
      return Promise.resolve();
    },
  };
}

/** Sleep that resolves early (rejecting) when `signal` aborts. */
export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const id = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(id);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
