/**
 * The help and usage snapshots (tests/snapshots/NAME.txt): which command lines they record and
 * their layout, shared by the subprocess test that records them and the in-process one.
 */
import { join } from "../../src/util/path.ts";
import { REPO } from "../../scripts/run_lmi.ts";

export const SNAPSHOT_CASES: ReadonlyArray<readonly [name: string, args: string[]]> = [
  ["help", ["--help"]],
  ["auth-token-help", ["auth", "token", "--help"]],
  ["login-sso-help", ["login", "sso", "--help"]],
  ["request-help", ["request", "--help"]],
  ["auth-help", ["auth"]],
  ["trust-help", ["trust", "--help"]],
  ["init-help", ["init", "--help"]],
  ["unknown-flag", ["auth", "token", "--frce"]],
];

export function snapshotPath(name: string): string {
  return join(REPO, "tests", "snapshots", `${name}.txt`);
}

/** A run as a snapshot file holds it: exit code, stdout, stderr. */
export function snapshotText(r: { code: number; stdout: string; stderr: string }): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}
