/**
 * Where a setting was made, so that a message about its value can say what to change: a key in
 * a config file (with its line, found only when a message needs it) or an environment variable.
 *
 * @module
 */
import { findKeyLine } from "./key_line.ts";

/** A key in a config file, or a variable (from the environment or a `.env` file). */
export type SettingRef =
  | {
    file: string;
    key: readonly string[];
    /** The file's text as lmi read it (for the key's line). */
    text: string | undefined;
  }
  | { variable: string; dotenv?: string };

/**
 * `envs.dev.auth.issuer at /home/me/lmi.toml:5`, `LMI_ISSUER`, `LMI_ISSUER in /home/me/.env`.
 *
 * @example
 * ```ts
 * describeSetting({ file: "/p/lmi.toml", key: ["sso", "issuer"], text: "[sso]\nissuer = \"x\"\n" });
 * // "sso.issuer at /p/lmi.toml:2"
 * ```
 */
export function describeSetting(ref: SettingRef): string {
  if ("variable" in ref) return ref.dotenv ? `${ref.variable} in ${ref.dotenv}` : ref.variable;
  const line = ref.text === undefined ? undefined : findKeyLine(ref.text, ref.key);
  return `${ref.key.join(".")} at ${ref.file}${line === undefined ? "" : `:${line}`}`;
}
