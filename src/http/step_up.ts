/**
 * Step-up: an API refusing the token it was sent because the sign-in behind it is not strong or
 * recent enough (RFC 9470 §3: `error="insufficient_user_authentication"` with `acr_values` and/or
 * `max_age`) or because it lacks a scope (RFC 6750 §3.1: `error="insufficient_scope"` with
 * `scope`). A new token for the same session would be refused the same way, so the authenticated
 * fetch does not retry: it throws {@link StepUpRequiredError}, whose hint is the command that
 * satisfies the API ({@link stepUpHint}).
 *
 * Loaded only when an API answers 401 or 403 to a request that carried lmi's token.
 *
 * @module
 */
import { signInCommand, ssoLoginCommand, ssoTable } from "../config/sso.ts";
import type { ResolvedEnv } from "../config/resolve.ts";
import { durationText, MARGIN_RANGE } from "../config/duration.ts";
import { AuthError, q } from "../errors.ts";
import { safeText } from "../ui/text.ts";
import { parseWwwAuthenticate } from "./www_authenticate.ts";
import { shellWord } from "../ui/text.ts";

/** The two errors that ask for more than a new token. */
export type StepUpErrorCode = "insufficient_user_authentication" | "insufficient_scope";

/** What the API asked for, from its `WWW-Authenticate` challenge. */
export interface StepUpChallenge {
  /** The challenge's scheme, lower-cased: "bearer" or "dpop" (RFC 9449 §7.1). */
  scheme: "bearer" | "dpop";
  /** The OAuth `error`. */
  error: StepUpErrorCode;
  /**
   * `acr_values` (RFC 9470 §3): the authentication context classes the API accepts, in order of
   * preference.
   */
  acrValues?: string[];
  /** `max_age` (RFC 9470 §3): the longest time since the person authenticated, in seconds. */
  maxAge?: number;
  /** `scope` (RFC 6750 §3.1): the scopes the resource needs. */
  scope?: string[];
  /** `error_description`, as the API wrote it. */
  description?: string;
}

const STEP_UP_ERRORS = new Set<string>(["insufficient_user_authentication", "insufficient_scope"]);
/**
 * An ACR value or a scope token: printable ASCII but space, `"` and `\` (RFC 6749 §3.3); the
 * rule for `lmi login sso --acr-values` and `--scope` too.
 */
export const STEP_UP_WORD = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** The longest ACR value or scope kept from a challenge. */
const MAX_WORD_LENGTH = 256;
/** How many ACR values or scopes are kept from one challenge. */
const MAX_WORDS = 16;
/** `max_age` as digits (up to about 300 years). */
const MAX_AGE = /^\d{1,10}$/;

function words(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const kept = [
    ...new Set(
      value.split(/[ \t]+/).filter((w) => w.length <= MAX_WORD_LENGTH && STEP_UP_WORD.test(w)),
    ),
  ].slice(0, MAX_WORDS);
  return kept.length > 0 ? kept : undefined;
}

/**
 * The step-up challenge in a `WWW-Authenticate` header, or undefined when it holds none. Among
 * several, the one in the scheme the token was sent with (`tokenType`) wins.
 */
export function stepUpChallenge(
  header: string | null,
  tokenType: string,
): StepUpChallenge | undefined {
  if (!header) return undefined;
  const sent = tokenType.toLowerCase();
  let found: StepUpChallenge | undefined;
  for (const c of parseWwwAuthenticate(header)) {
    if (c.scheme !== "bearer" && c.scheme !== "dpop") continue;
    const error = c.params.get("error");
    if (error === undefined || !STEP_UP_ERRORS.has(error)) continue;
    if (found && c.scheme !== sent) continue;
    const challenge: StepUpChallenge = { scheme: c.scheme, error: error as StepUpErrorCode };
    const acrValues = words(c.params.get("acr_values"));
    if (acrValues) challenge.acrValues = acrValues;
    const maxAge = c.params.get("max_age");
    if (maxAge !== undefined && MAX_AGE.test(maxAge)) challenge.maxAge = Number(maxAge);
    const scope = words(c.params.get("scope"));
    if (scope) challenge.scope = scope;
    const description = c.params.get("error_description");
    if (description) challenge.description = description;
    found = challenge;
    if (c.scheme === sent) break;
  }
  return found;
}

/**
 * An API answered a request with a step-up challenge: a stronger or more recent sign-in
 * (`insufficient_user_authentication`, RFC 9470) or a scope the token lacks
 * (`insufficient_scope`, RFC 6750 §3.1). Not retried with the same session; `challenge` says
 * what the API asked for, `hint` the command that satisfies it. Exit code 4.
 */
export class StepUpRequiredError extends AuthError {
  override name = "StepUpRequiredError";
  /** What the API asked for. */
  readonly challenge: StepUpChallenge;
  /** The URL that answered. */
  readonly url: string;

  constructor(
    message: string,
    options: { challenge: StepUpChallenge; status: number; url: string; hint: string },
  ) {
    const { challenge, status, url, hint } = options;
    super(challenge.error.toUpperCase(), message, {
      status,
      oauthError: challenge.error,
      description: challenge.description,
      hint,
    });
    this.challenge = challenge;
    this.url = url;
  }
}

/** `max_age` as `--max-age` takes it: a longer one than the flag accepts asks for less, not more. */
/** A challenge's max_age as lmi can ask for it (--max-age takes at most a day). */
function maxAgeSeconds(seconds: number): number {
  return Math.min(seconds, MARGIN_RANGE.max / 1000);
}

function quotedList(values: readonly string[]): string {
  return values.map(q).join(", ");
}

/** What the API asked for, as the error message says it: `acr_values "phr", max_age 5m`. */
function askedFor(challenge: StepUpChallenge): string {
  const parts: string[] = [];
  if (challenge.acrValues) parts.push(`acr_values ${q(challenge.acrValues.join(" "))}`);
  if (challenge.maxAge !== undefined) {
    parts.push(`max_age ${durationText(maxAgeSeconds(challenge.maxAge))}`);
  }
  return parts.join(", ");
}

/**
 * The command that satisfies `challenge` for `env`, as the hint of the error: for an sso env a new
 * sign-in asking for it (`lmi login sso --acr-values phr --max-age 5m`, `lmi login sso --scope
 * admin`); for an env with a service token, the config change (a scope) or why its kind of token
 * cannot satisfy it.
 */
export function stepUpHint(env: ResolvedEnv, challenge: StepUpChallenge): string {
  const type = env.auth.type;
  const wanted = challenge.scope ?? [];
  if (type === "sso") {
    const name = env.sso?.name ?? env.ssoProvider;
    if (challenge.error === "insufficient_user_authentication") {
      return `sign in again as the API asks: ${
        signInCommand({
          name,
          ...(challenge.acrValues ? { acrValues: challenge.acrValues.join(" ") } : {}),
          ...(challenge.maxAge !== undefined ? { maxAge: maxAgeSeconds(challenge.maxAge) } : {}),
        })
      }`;
    }
    const login = ssoLoginCommand({ name }).split(" ");
    if (wanted.length === 0) {
      return `the API did not say which scope it needs; sign in with it: ${
        login.join(" ")
      } --scope SCOPE`;
    }
    const configured = env.sso?.scopes ?? [];
    const missing = wanted.filter((s) => !configured.includes(s));
    if (missing.length === 0) {
      return `${ssoTable(env.ssoProvider)} scopes ask for ${
        quotedList(wanted)
      } already, but the IdP did not grant them to this session: sign in again (${
        login.join(" ")
      }), or ask the IdP's administrators to allow them`;
    }
    for (const s of missing) login.push("--scope", shellWord(s));
    return `sign in with the scope the API needs: ${login.join(" ")}`;
  }
  if (challenge.error === "insufficient_scope") {
    if (wanted.length === 0) {
      return `the API did not say which scope it needs; check env ${q(env.name)}'s scopes`;
    }
    if (type === "command") {
      return `the token env ${q(env.name)}'s command prints lacks ${
        quotedList(wanted)
      }: have the command ask for it`;
    }
    const missing = wanted.filter((s) => !env.auth.scopes.includes(s));
    if (missing.length === 0) {
      return `env ${q(env.name)} asks for ${
        quotedList(wanted)
      } already, but the IdP did not grant it: ask its administrators to allow it for the client`;
    }
    const where = env.definedBy === "environment"
      ? "LMI_SCOPES"
      : `scopes in [envs.${env.name}.auth]`;
    return `add ${quotedList(missing)} to ${where}; lmi then gets a new token with it`;
  }
  const asked = askedFor(challenge);
  return `env ${q(env.name)} gets its token with ${type}, which cannot ask for a stronger or ` +
    `more recent sign-in${
      asked ? ` (${asked})` : ""
    }: call this API from an env with auth type "sso"`;
}

/** The error for an API's step-up challenge to `method url` (its hint from {@link stepUpHint}). */
export function stepUpError(
  env: ResolvedEnv,
  challenge: StepUpChallenge,
  answer: { status: number; method: string; url: string },
): StepUpRequiredError {
  const { status, method, url } = answer;
  const asked = askedFor(challenge);
  const what = challenge.error === "insufficient_user_authentication"
    ? `the API requires a stronger or more recent sign-in${asked ? ` (${asked})` : ""}`
    : challenge.scope
    ? `the API requires the scope ${quotedList(challenge.scope)}, which the token lacks`
    : "the API requires a scope the token lacks";
  const description = challenge.description ? `: ${safeText(challenge.description, 200)}` : "";
  return new StepUpRequiredError(
    `HTTP ${status} from ${method} ${safeText(url, 300)}: ${what}${description}`,
    { challenge, status, url, hint: stepUpHint(env, challenge) },
  );
}
