/**
 * What kubectl tells an exec credential plugin in `KUBERNETES_EXEC_INFO`: the `apiVersion` to
 * answer in, and `spec.interactive` (whether the plugin may use the terminal). Read bounded; a
 * value that is too long, not JSON or not shaped as kubectl sends it says nothing. Pure.
 *
 * @module
 */

/** What kubectl said; a field it did not say (or said wrongly) is absent. */
export interface ExecInfo {
  /** `client.authentication.k8s.io/v1` or `/v1beta1`. */
  apiVersion?: string;
  /**
   * kubectl's `interactiveMode` for this call: false (`Never`, or `IfAvailable` without a
   * terminal) or true (a terminal on kubectl's stdin, which the plugin then shares).
   */
  interactive?: boolean;
}

/**
 * A longer value is not read. kubectl's is a few hundred bytes, a few KB with `provideClusterInfo`
 * (the cluster's CA); Linux allows one variable 128 KiB.
 */
export const EXEC_INFO_MAX_CHARS = 256 * 1024;

/** `KUBERNETES_EXEC_INFO` as kubectl means it, from `text` (the variable's value, if set). */
export function parseExecInfo(text: string | undefined): ExecInfo {
  if (!text || text.length > EXEC_INFO_MAX_CHARS) return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return {};
  }
  if (!isRecord(doc)) return {};
  const info: ExecInfo = {};
  const { apiVersion, spec } = doc;
  if (typeof apiVersion === "string" && apiVersion.startsWith("client.authentication.k8s.io/")) {
    info.apiVersion = apiVersion;
  }
  if (isRecord(spec) && typeof spec.interactive === "boolean") info.interactive = spec.interactive;
  return info;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
