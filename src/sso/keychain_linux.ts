/**
 * Linux Secret Service (GNOME Keyring, KWallet…) through `secret-tool` from libsecret-tools.
 * The secret goes on stdin. `secret-tool store` reads at most 8 KiB, so larger values are split.
 *
 * @module
 */
import type { CommandRunner } from "./runner.ts";
import { keychainCall, KeychainUnavailable, type SecretStore, SERVICE } from "./store.ts";
import { chunked } from "./chunks.ts";

export const SECRET_TOOL_MAX_VALUE_BYTES = 4096;

export function secretServiceStore(
  run: CommandRunner,
): SecretStore & { available(): Promise<boolean> } {
  const tool = {
    cmd: "secret-tool",
    name: "Secret Service",
    missing: "secret-tool is not installed (libsecret-tools)",
  };
  const call = (args: string[], stdin?: string) => keychainCall(run, tool, args, stdin);
  const raw: SecretStore = {
    name: "keychain (Secret Service)",
    label: "Secret Service keychain",
    kind: "keychain",
    async get(account) {
      const r = await call(["lookup", "service", SERVICE, "account", account]);
      if (r.code !== 0) {
        if (r.stderr.trim() === "" || /no such|not found/i.test(r.stderr)) return undefined;
        throw new KeychainUnavailable(
          `secret-tool lookup failed: ${r.stderr.trim().split("\n")[0]}`,
        );
      }
      return r.stdout;
    },
    async set(account, value) {
      const r = await call([
        "store",
        `--label=lmi: ${account}`,
        "service",
        SERVICE,
        "account",
        account,
      ], value);
      if (r.code !== 0) {
        throw new KeychainUnavailable(
          `secret-tool store failed: ${r.stderr.trim().split("\n")[0]}`,
        );
      }
    },
    async delete(account) {
      const existed = (await raw.get(account)) !== undefined;
      const r = await call(["clear", "service", SERVICE, "account", account]);
      if (r.code !== 0 && existed) {
        throw new KeychainUnavailable(`secret-tool clear failed: ${r.stderr.trim()}`);
      }
      return existed;
    },
  };
  return {
    ...chunked(raw, SECRET_TOOL_MAX_VALUE_BYTES),
    async available() {
      try {
        const r = await call(["search", "--all", "service", `${SERVICE}-probe`]);
        return r.code === 0 || (r.code === 1 && !/cannot|error|failed/i.test(r.stderr));
      } catch {
        return false;
      }
    },
  };
}
