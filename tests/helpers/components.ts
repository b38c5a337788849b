/**
 * System components some tests need (Chromium, gnome-keyring, D-Bus). Missing ones skip those
 * tests with a printed reason, except under LMI_TEST_REQUIRE_ALL=1 (CI), where the tests run and
 * fail instead.
 */
import { join } from "../../src/util/path.ts";

function onPath(command: string): boolean {
  if (command.startsWith("/")) {
    try {
      return Deno.statSync(command).isFile;
    } catch {
      return false;
    }
  }
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(join(dir, command)).isFile) return true;
    } catch { /* not here */ }
  }
  return false;
}

/** `ignore` value for Deno.test: true (with a printed reason) when a component is missing. */
export function ignoreWithout(test: string, commands: string[]): boolean {
  const missing = commands.filter((c) => !onPath(c));
  if (missing.length === 0) return false;
  if (Deno.env.get("LMI_TEST_REQUIRE_ALL") === "1") return false;
  console.log(`skipping "${test}": missing ${missing.join(", ")} (install them, see .ci/packages)`);
  return true;
}
