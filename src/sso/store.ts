/**
 * Where SSO sessions are kept: the OS keychain (macOS Keychain, Windows Credential Manager, Linux
 * Secret Service) under service "lmi", account "sso:<issuer>"; or, where no keychain answers
 * (headless Linux, containers, CI) or `LMI_KEYRING=file`, a 0600 file in the user data folder,
 * with a warning shown once per user (remembered on disk: src/util/notices.ts) and the reason in
 * `auth status`. Every keychain call has a 3 s timeout.
 *
 * @module
 */
import type { Deps } from "../context.ts";
import { ConfigError, q } from "../errors.ts";
import { dataDir } from "../config/paths.ts";
import { join } from "../util/path.ts";
import type { Logger } from "../ui/log.ts";
import {
  ensurePrivateDir,
  readPrivateFile,
  removeIfExists,
  unsafeFileWarning,
  writeFileAtomic,
} from "../tokens/files.ts";
import type { CommandRunner, RunResult } from "./runner.ts";
import { firstNotice } from "../util/notices.ts";

export const SERVICE = "lmi";
export const KEYCHAIN_TIMEOUT_MS = 3_000;

/** A place for secrets, by account name. */
export interface SecretStore {
  /** "keychain (Secret Service)", "file (/path)"… for `auth status --json`. */
  readonly name: string;
  /** The same for a sentence: "Secret Service keychain", "file store /path". */
  readonly label: string;
  readonly kind: "keychain" | "file";
  /** Why the session is kept in a file rather than a keychain ("no keychain answered"). */
  readonly reason?: string;
  get(account: string): Promise<string | undefined>;
  set(account: string, value: string): Promise<void>;
  delete(account: string): Promise<boolean>;
}

/** A keychain call failed (locked, absent, timed out): callers fall back to the file store. */
export class KeychainUnavailable extends Error {
  override name = "KeychainUnavailable";
}

/**
 * Run a keychain tool with the 3 s timeout; a timeout or a missing tool means the keychain is
 * unavailable (callers fall back to the file store).
 */
export async function keychainCall(
  run: CommandRunner,
  tool: { cmd: string; name: string; missing: string },
  args: string[],
  stdin?: string,
): Promise<RunResult> {
  const r = await run(tool.cmd, args, {
    timeoutMs: KEYCHAIN_TIMEOUT_MS,
    ...(stdin !== undefined ? { stdin } : {}),
  });
  if (r.timedOut) throw new KeychainUnavailable(`the ${tool.name} did not answer within 3 s`);
  if (r.code === 127) throw new KeychainUnavailable(tool.missing);
  return r;
}

export interface StoreDeps {
  deps: Pick<Deps, "env" | "os">;
  log: Logger;
  run: CommandRunner;
}

/**
 * File names safe on every OS for an account like "sso:https://idp/realms/x", with a short hash
 * of the exact account so that two accounts never share a file.
 */
export function fileNameFor(account: string): string {
  let h = 0x811c9dc5; // FNV-1a
  for (const byte of new TextEncoder().encode(account)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return `${account.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 100)}-${
    h.toString(16).padStart(8, "0")
  }.json`;
}

/**
 * The 0600-file store. A session file others can read is refused (as every lmi file is): the
 * session counts as missing, with a warning, and the next sign-in replaces it.
 */
export function fileStore(dir: string, warn: (message: string) => void = () => {}): SecretStore {
  return {
    name: `file (${join(dir, "sso")})`,
    label: `file store ${join(dir, "sso")}`,
    kind: "file",
    async get(account) {
      const path = join(dir, "sso", fileNameFor(account));
      const read = await readPrivateFile(path);
      if (read.state === "unsafe") warn(unsafeFileWarning(path, read.why));
      if (read.state === "error") throw new Error(read.reason);
      return read.state === "ok" ? read.text : undefined;
    },
    async set(account, value) {
      await ensurePrivateDir(join(dir, "sso"));
      await writeFileAtomic(join(dir, "sso", fileNameFor(account)), value);
    },
    delete: (account) => removeIfExists(join(dir, "sso", fileNameFor(account))),
  };
}

/** Pick the store: LMI_KEYRING=file|keychain forces one; CI means file; else keychain if it answers. */
export async function chooseStore(ctx: StoreDeps): Promise<SecretStore> {
  const { deps, log } = ctx;
  const forced = deps.env("LMI_KEYRING");
  if (forced && forced !== "file" && forced !== "keychain") {
    throw new ConfigError("CONFIG_INVALID", `LMI_KEYRING: invalid value ${q(forced)}`, {
      hint: 'use "file" or "keychain"',
    });
  }
  const dir = dataDir(deps);
  const file = dir ? fileStore(dir, (m) => ctx.log.warnOnce(m, m)) : undefined;
  const keychain = await keychainFor(ctx);
  if (forced === "keychain") {
    if (!keychain) {
      throw new ConfigError("KEYCHAIN_UNSUPPORTED", `no keychain support on ${deps.os}`, {
        hint: "use LMI_KEYRING=file",
      });
    }
    return keychain;
  }
  const reason = forced === "file"
    ? "LMI_KEYRING=file"
    : (deps.env("CI") ?? "") !== ""
    ? "CI is set"
    : !keychain
    ? `no keychain support on ${deps.os}`
    : !await keychain.available()
    ? "no keychain answered"
    : undefined;
  if (reason === undefined) return file ? withFallback(keychain!, file, log, dir!) : keychain!;
  if (!file) {
    const variable = deps.os === "windows" ? "APPDATA" : "HOME";
    throw new ConfigError("NO_DATA_DIR", `no folder for the SSO session (${variable} is not set)`, {
      hint: `set ${variable}`,
    });
  }
  // Said once per user, remembered on disk; `auth status` says it whenever asked.
  if (forced !== "file" && await firstNotice(dir, "file-store")) {
    log.warnOnce(
      "file-store",
      `${reason}; the SSO session is kept in a private file under ${dir} (mode 0600); ` +
        "this is said once, and lmi auth status shows it",
    );
  }
  return { ...file, reason };
}

async function keychainFor(
  ctx: StoreDeps,
): Promise<(SecretStore & { available(): Promise<boolean> }) | undefined> {
  switch (ctx.deps.os) {
    case "linux": {
      const { secretServiceStore } = await import("./keychain_linux.ts");
      return secretServiceStore(ctx.run);
    }
    case "darwin": {
      const { macosKeychainStore } = await import("./keychain_macos.ts");
      return macosKeychainStore(ctx.run);
    }
    case "windows": {
      const { windowsCredentialStore } = await import("./keychain_windows.ts");
      return windowsCredentialStore(ctx.run);
    }
    default:
      return undefined;
  }
}

/**
 * The keychain, falling back to the file store (with a one-time warning) when a call fails:
 * a locked collection or a keychain that stops answering never makes lmi crash. Reads look in
 * the file store too, so a session saved there during a fallback is still found.
 */
function withFallback(
  keychain: SecretStore,
  file: SecretStore,
  log: Logger,
  dir: string,
): SecretStore {
  const fallback = (err: unknown) => {
    if (!(err instanceof KeychainUnavailable)) throw err;
    log.warnOnce(
      "keychain-fallback",
      `the keychain failed (${err.message}); using a private file under ${dir} instead`,
    );
  };
  return {
    name: keychain.name,
    label: keychain.label,
    kind: keychain.kind,
    async get(account) {
      try {
        return (await keychain.get(account)) ?? await file.get(account);
      } catch (err) {
        fallback(err);
        return await file.get(account);
      }
    },
    async set(account, value) {
      try {
        await keychain.set(account, value);
        await file.delete(account);
      } catch (err) {
        fallback(err);
        await file.set(account, value);
      }
    },
    async delete(account) {
      let removed = false;
      try {
        removed = await keychain.delete(account);
      } catch (err) {
        fallback(err);
      }
      return (await file.delete(account)) || removed;
    },
  };
}
