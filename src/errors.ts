/**
 * Typed errors. Every failure lmi reports to a person is an {@link LmiError} with a stable
 * `code`, a `hint` and an `exitCode`; the CLI edge (src/cli/main.ts) is the only place that
 * turns them into output and an exit status.
 *
 * @module
 */

/** Exit codes of the lmi program (DESIGN.md → Commands). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  config: 3,
  auth: 4,
  network: 5,
  interrupted: 130,
} as const;
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

export interface LmiErrorOptions {
  hint?: string | undefined;
  cause?: unknown;
}

/** Base class: a failure with a stable code, a hint for the user and an exit code. */
export class LmiError extends Error {
  override name = "LmiError";
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, exitCode: ExitCode, options: LmiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.exitCode = exitCode;
  }
}

/** A mistake in how lmi was called (unknown flag, bad flag value): exit 2. */
export class UsageError extends LmiError {
  override name = "UsageError";
  constructor(code: string, message: string, options?: LmiErrorOptions) {
    super(code, message, ExitCode.usage, options);
  }
}

/** Invalid or incomplete configuration (unknown env, bad value, missing secret): exit 3. */
export class ConfigError extends LmiError {
  override name = "ConfigError";
  constructor(code: string, message: string, options?: LmiErrorOptions) {
    super(code, message, ExitCode.config, options);
  }
}

/** The identity provider said no, or a token could not be trusted: exit 4. */
export class AuthError extends LmiError {
  override name = "AuthError";
  /** HTTP status of the IdP response, when there was one. */
  readonly status: number | undefined;
  /** OAuth `error` code, when the IdP sent one. */
  readonly oauthError: string | undefined;
  /** The IdP's `error_description`, when it sent one. */
  readonly description: string | undefined;
  constructor(
    code: string,
    message: string,
    options?: LmiErrorOptions & {
      status?: number | undefined;
      oauthError?: string | undefined;
      description?: string | undefined;
    },
  ) {
    super(code, message, ExitCode.auth, options);
    this.status = options?.status;
    this.oauthError = options?.oauthError;
    this.description = options?.description;
  }
}

/** The network failed: unreachable host, timeout, TLS: exit 5. */
export class NetworkError extends LmiError {
  override name = "NetworkError";
  constructor(code: string, message: string, options?: LmiErrorOptions) {
    super(code, message, ExitCode.network, options);
  }
}

/** The operation ran and failed (not logged in, non-2xx response): exit 1. */
export class FailedError extends LmiError {
  override name = "FailedError";
  constructor(code: string, message: string, options?: LmiErrorOptions) {
    super(code, message, ExitCode.failed, options);
  }
}

/** Quote a value for an error message: `"value"`. */
export function q(value: unknown): string {
  return JSON.stringify(String(value));
}
