/**
 * macOS Keychain through `security`. Writes go through `security -i` (commands read from stdin)
 * with the password hex-encoded (`-X`), so the secret never appears on a command line.
 *
 * @module
 */
import type { CommandRunner } from "./runner.ts";
import { keychainCall, KeychainUnavailable, type SecretStore, SERVICE } from "./store.ts";
import { chunked } from "./chunks.ts";

/** `security -i` reads one command per line; keep each well under its line limit. */
export const MACOS_MAX_VALUE_BYTES = 1500;

const NOT_FOUND = 44;

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, "\\$&")}"`;
}

function hex(value: string): string {
  return [...new TextEncoder().encode(value)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function macosKeychainStore(
  run: CommandRunner,
): SecretStore & { available(): Promise<boolean> } {
  const tool = { cmd: "security", name: "macOS keychain", missing: "the security tool is missing" };
  const call = (args: string[], stdin?: string) => keychainCall(run, tool, args, stdin);
  const raw: SecretStore = {
    name: "keychain (macOS Keychain)",
    label: "macOS Keychain",
    kind: "keychain",
    async get(account) {
      const r = await call(["find-generic-password", "-s", SERVICE, "-a", account, "-w"]);
      if (r.code === NOT_FOUND) return undefined;
      if (r.code !== 0) {
        throw new KeychainUnavailable(`security find-generic-password failed: ${r.stderr.trim()}`);
      }
      return r.stdout.replace(/\n$/, "");
    },
    async set(account, value) {
      const command = `add-generic-password -U -s ${quote(SERVICE)} -a ${quote(account)} -l ${
        quote(`lmi: ${account}`)
      } -X ${hex(value)}\n`;
      const r = await call(["-i"], command);
      if (r.code !== 0 || /error|failed/i.test(r.stderr)) {
        throw new KeychainUnavailable(`security add-generic-password failed: ${r.stderr.trim()}`);
      }
    },
    async delete(account) {
      const r = await call(["delete-generic-password", "-s", SERVICE, "-a", account]);
      if (r.code === NOT_FOUND) return false;
      if (r.code !== 0) {
        throw new KeychainUnavailable(
          `security delete-generic-password failed: ${r.stderr.trim()}`,
        );
      }
      return true;
    },
  };
  return {
    ...chunked(raw, MACOS_MAX_VALUE_BYTES),
    async available() {
      const r = await call(["default-keychain"]).catch(() => undefined);
      return r?.code === 0;
    },
  };
}
