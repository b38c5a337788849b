/**
 * Turning what goes wrong in a token or discovery request into lmi's typed errors: the IdP's
 * HTTP status, OAuth `error` and `error_description`, and at most 200 characters of the body.
 * Everything the server wrote is made printable (no escape sequences or control characters) and
 * capped before it reaches a message.
 *
 * @module
 */
import { AuthError, LmiError, NetworkError } from "../errors.ts";
import type { Exchange } from "../http/transport.ts";
import { safeText } from "../ui/text.ts";

/** The most characters of an IdP's `error_description` or body that a message quotes. */
export const MAX_QUOTED_CHARS = 200;
/** The most characters of an OAuth `error` code that a message quotes (real ones are short). */
const MAX_ERROR_CODE_CHARS = 64;

export interface ErrorContext {
  /** "token request", "refresh", "discovery" … */
  what: string;
  last: Exchange | undefined;
  /** Hints for OAuth error codes (invalid_client → "check the secret in X"). */
  hints?: Partial<Record<string, string>>;
}

interface OAuthErrorLike {
  error: string;
  error_description?: string;
  status: number;
}

function findLmiError(err: unknown): LmiError | undefined {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof LmiError) return e;
  }
  return undefined;
}

function oauthBody(last: Exchange | undefined): OAuthErrorLike | undefined {
  if (!last || last.status < 400) return undefined;
  try {
    const body = JSON.parse(last.body) as Record<string, unknown>;
    if (typeof body.error === "string") {
      return {
        error: body.error,
        status: last.status,
        ...(typeof body.error_description === "string"
          ? { error_description: body.error_description }
          : {}),
      };
    }
  } catch { /* not JSON */ }
  return undefined;
}

/** At most 200 characters of a response body, on one line, without control characters. */
export function snippet(body: string): string {
  return safeText(body, MAX_QUOTED_CHARS) || "(empty body)";
}

/** Map any error from an IdP exchange to an LmiError. */
export function toLmiError(err: unknown, ctx: ErrorContext): LmiError {
  const known = findLmiError(err);
  if (known) return known;
  const e = err as Partial<OAuthErrorLike> & { code?: string; message?: string };
  const oauth: OAuthErrorLike | undefined =
    typeof e?.error === "string" && typeof e.status === "number"
      ? e as OAuthErrorLike
      : oauthBody(ctx.last);
  if (oauth) {
    const error = safeText(oauth.error, MAX_ERROR_CODE_CHARS);
    const description = oauth.error_description === undefined
      ? undefined
      : safeText(oauth.error_description, MAX_QUOTED_CHARS);
    const desc = description ? `: ${description}` : "";
    return new AuthError(
      "IDP_REJECTED",
      `the IdP rejected the ${ctx.what} (HTTP ${oauth.status} ${error}${desc})`,
      {
        hint: ctx.hints?.[oauth.error] ??
          "check the env's auth settings against the IdP's client configuration",
        cause: err,
        status: oauth.status,
        oauthError: error,
        description,
      },
    );
  }
  if (e?.code === "OAUTH_TIMEOUT" || (err instanceof DOMException && err.name === "TimeoutError")) {
    return new NetworkError("TIMEOUT", `the ${ctx.what} timed out`, {
      hint: "check the network or raise the env's timeout",
      cause: err,
    });
  }
  const last = ctx.last;
  // A token endpoint that refuses the client without an OAuth error (401/403, empty or HTML):
  // the same refusal as invalid_client, with the same hint (it names the secret's variable).
  const refusedClient = ctx.hints?.invalid_client;
  if (last && (last.status === 401 || last.status === 403) && refusedClient) {
    return new AuthError("IDP_REJECTED", `the IdP rejected the ${ctx.what} (HTTP ${last.status})`, {
      hint: refusedClient,
      cause: err,
      status: last.status,
    });
  }
  const where = last ? ` (HTTP ${last.status} from ${last.url})` : "";
  const body = last ? `: ${snippet(last.body)}` : "";
  const cause = (err as { cause?: unknown })?.cause;
  const detail = cause instanceof Error && cause.message !== e?.message
    ? ` (${cause.message})`
    : "";
  const reason = e?.message
    ? safeText(`${e.message}${detail}`, MAX_QUOTED_CHARS)
    : "unexpected response";
  return new AuthError(
    "IDP_BAD_RESPONSE",
    `unusable response to the ${ctx.what}${where}: ${reason}${body}`,
    {
      hint:
        "the IdP answered with something that is not a valid OAuth response; check the URL and the IdP's health",
      cause: err,
      ...(last ? { status: last.status } : {}),
    },
  );
}
