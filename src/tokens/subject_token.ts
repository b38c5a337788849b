/**
 * Workload identity: the subject token a CI job or a pod presents instead of a stored secret
 * (token exchange, RFC 8693; JWT bearer, RFC 7523 §2.1; federated client assertions, §2.2).
 * It comes from GitHub Actions' OIDC endpoint, a file (a Kubernetes projected service-account
 * token, read again on every acquisition because the kubelet rotates it) or an environment
 * variable (GitLab's `id_tokens`). Every token read is registered with the redactor at once.
 *
 * @module
 */
import type { Deps } from "../context.ts";
import type { ResolvedAuth, SubjectTokenSource } from "../config/resolve.ts";
import { readSmallFile } from "../config/small_file.ts";
import { AuthError, ConfigError, NetworkError, q } from "../errors.ts";
import { assertSecureEndpoint, createTransport } from "../http/transport.ts";
import type { Logger } from "../ui/log.ts";

/** The largest subject token file lmi reads (projected tokens are about 1 KB). */
export const MAX_SUBJECT_TOKEN_BYTES = 64 * 1024;

export interface SubjectTokenOptions {
  /** The env's fetch (deps.fetch with the env's trust, from `envFetch`). */
  deps: Pick<Deps, "fetch" | "now">;
  log: Logger;
  timeoutMs: number;
}

/** The env's subject token source, or a ConfigError saying how to configure one. */
export function requireSubjectSource(auth: ResolvedAuth, envName: string): SubjectTokenSource {
  if (auth.subjectToken) return auth.subjectToken;
  const why = auth.clientAuth === "federated_jwt"
    ? 'client_auth = "federated_jwt"'
    : `auth.type = ${q(auth.type)}`;
  throw new ConfigError(
    "CONFIG_INCOMPLETE",
    `env ${q(envName)} has ${why} but no subject token source`,
    {
      hint:
        'set subject_token_source = "github_actions", "file" (with subject_token_file) or "env" ' +
        "(with subject_token_env) in the env's [auth] table (or LMI_SUBJECT_TOKEN_SOURCE)",
    },
  );
}

/** A short description of the source for -v output; never the token. */
export function describeSource(source: SubjectTokenSource): string {
  switch (source.kind) {
    case "file":
      return `file ${source.path}`;
    case "env":
      return `variable ${source.token.variable}`;
    case "github_actions":
      return `GitHub Actions${source.audience ? ` (audience ${q(source.audience)})` : ""}`;
  }
}

/** Read the subject token now (a file is read again on every call). */
export async function readSubjectToken(
  source: SubjectTokenSource,
  options: SubjectTokenOptions,
): Promise<string> {
  const token = await read(source, options);
  options.log.redactor.add(token);
  return token;
}

function read(source: SubjectTokenSource, options: SubjectTokenOptions): Promise<string> | string {
  switch (source.kind) {
    case "file":
      return fromFile(source.path);
    case "env": {
      const value = source.token.value?.trim();
      if (!value) {
        throw new ConfigError(
          "SUBJECT_TOKEN_MISSING",
          `the subject token variable ${source.token.variable} is not set or empty`,
          {
            hint:
              `set ${source.token.variable} (in GitLab CI: an id_tokens entry of that name), or point subject_token_env at the variable that holds the token`,
          },
        );
      }
      return value;
    }
    case "github_actions":
      return fromGithubActions(source, options);
  }
}

function fromFile(path: string): string {
  let text: string;
  try {
    const file = readSmallFile(path, MAX_SUBJECT_TOKEN_BYTES);
    if ("refused" in file) {
      throw new ConfigError(
        "SUBJECT_TOKEN_UNREADABLE",
        `cannot use the subject token file ${q(path)}: ${file.refused}`,
        { hint: "subject_token_file must name a file holding one token (a JWT)" },
      );
    }
    text = file.text;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const notFound = err instanceof Deno.errors.NotFound;
    throw new ConfigError(
      notFound ? "SUBJECT_TOKEN_MISSING" : "SUBJECT_TOKEN_UNREADABLE",
      notFound
        ? `the subject token file ${q(path)} does not exist`
        : `cannot read the subject token file ${q(path)}: ${
          err instanceof Error ? err.message : String(err)
        }`,
      {
        hint: notFound
          ? "check subject_token_file (in Kubernetes: the projected volume's mountPath and path)"
          : "check the file's permissions",
        cause: err,
      },
    );
  }
  const token = text.trim();
  if (!token) {
    throw new ConfigError("SUBJECT_TOKEN_MISSING", `the subject token file ${q(path)} is empty`, {
      hint: "the file must hold the token; check what writes it (the kubelet, the CI job)",
    });
  }
  return token;
}

/**
 * GitHub Actions' OIDC token: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=…` with the request
 * token as a Bearer token; the JWT is the JSON answer's `value`.
 */
async function fromGithubActions(
  source: Extract<SubjectTokenSource, { kind: "github_actions" }>,
  options: SubjectTokenOptions,
): Promise<string> {
  const { log, timeoutMs } = options;
  const requestUrl = source.requestUrl.value;
  const requestToken = source.requestToken.value;
  if (!requestUrl || !requestToken) {
    const absent = [source.requestUrl, source.requestToken].filter((r) => !r.value)
      .map((r) => r.variable);
    throw new ConfigError(
      "GITHUB_OIDC_UNAVAILABLE",
      `GitHub Actions' OIDC token variables are not set: ${absent.join(", ")}`,
      {
        hint:
          "give the job `permissions: id-token: write` (the variables exist only in GitHub Actions jobs with that permission)",
      },
    );
  }
  log.redactor.add(requestToken);
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    throw new ConfigError(
      "GITHUB_OIDC_UNAVAILABLE",
      `ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: ${q(requestUrl)}`,
      { hint: "lmi reads the variable GitHub Actions sets; do not set it yourself" },
    );
  }
  if (source.audience) url.searchParams.set("audience", source.audience);
  assertSecureEndpoint(url.href, "GitHub Actions OIDC token endpoint");
  // -vv shows the exchange; the token in the answer's `value` is hidden even when not a JWT.
  const transport = createTransport(options.deps, { timeoutMs, log, secretFields: ["value"] });
  log.info(`requesting an OIDC token from GitHub Actions (${url.origin})`);
  const response = await transport.fetch(url, {
    headers: { authorization: `Bearer ${requestToken}`, accept: "application/json" },
  });
  const text = await response.text();
  if (!response.ok) {
    const what = `GitHub Actions' OIDC token endpoint answered HTTP ${response.status}`;
    if (response.status >= 500 || response.status === 429) {
      throw new NetworkError("GITHUB_OIDC_FAILED", `${what} (${url.origin})`, {
        hint: "GitHub's token service is failing; re-run the job",
      });
    }
    throw new AuthError("GITHUB_OIDC_FAILED", `${what} (${url.origin})`, {
      hint: "check the job's `permissions: id-token: write` and subject_token_audience",
      status: response.status,
    });
  }
  let value: unknown;
  try {
    value = (JSON.parse(text) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  if (typeof value !== "string" || !/^[\x21-\x7e]+$/.test(value)) {
    throw new AuthError(
      "GITHUB_OIDC_BAD_RESPONSE",
      "GitHub Actions' OIDC token endpoint gave no token (expected JSON with a string `value`)",
      { hint: "check ACTIONS_ID_TOKEN_REQUEST_URL", status: response.status },
    );
  }
  return value;
}
