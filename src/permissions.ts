/**
 * The Deno permissions the lmi program needs, as command-line flags, read from the one place
 * they are written: the "lmi" permission set in deno.json. The compile task, the demo, the tests
 * that spawn the CLI, and `LMI_BIN` for plugins (under `deno run`) all use it.
 *
 * @module
 */
import config from "../deno.json" with { type: "json" };

type PermissionValue = boolean | string[];

const FLAG: Record<string, string> = {
  read: "--allow-read",
  write: "--allow-write",
  env: "--allow-env",
  net: "--allow-net",
  run: "--allow-run",
  sys: "--allow-sys",
  ffi: "--allow-ffi",
  import: "--allow-import",
};

/** `--allow-…` flags for `deno run` / `deno compile`. */
export function permissionFlags(): string[] {
  const set = (config as { permissions: { lmi: Record<string, PermissionValue> } }).permissions.lmi;
  return Object.entries(set).flatMap(([name, value]) => {
    const flag = FLAG[name];
    if (!flag) throw new Error(`unknown permission ${name} in deno.json`);
    if (value === true) return [flag];
    if (Array.isArray(value) && value.length > 0) return [`${flag}=${value.join(",")}`];
    return [];
  });
}
