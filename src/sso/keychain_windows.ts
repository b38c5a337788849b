/**
 * Windows Credential Manager through PowerShell and the Win32 Cred* API. The script, with the
 * secret in it (base64), is given to PowerShell on stdin (`-Command -`), never on the command
 * line. A credential blob holds at most 2560 bytes, so larger values are split.
 *
 * @module
 */
import type { CommandRunner } from "./runner.ts";
import { keychainCall, KeychainUnavailable, type SecretStore, SERVICE } from "./store.ts";
import { chunked } from "./chunks.ts";

/** CRED_MAX_CREDENTIAL_BLOB_SIZE is 5 × 512 bytes; UTF-8 JSON stays well inside with this. */
export const WINDOWS_MAX_VALUE_BYTES = 2000;

const PRELUDE = `$ErrorActionPreference = 'Stop'
Add-Type -TypeDefinition @"
using System; using System.Runtime.InteropServices; using System.Text;
public static class LmiCred {
  [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
  public struct CREDENTIAL { public int Flags; public int Type; public string TargetName; public string Comment;
    public long LastWritten; public int CredentialBlobSize; public IntPtr CredentialBlob; public int Persist;
    public int AttributeCount; public IntPtr Attributes; public string TargetAlias; public string UserName; }
  [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
  static extern bool CredRead(string target, int type, int flags, out IntPtr cred);
  [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
  static extern bool CredWrite(ref CREDENTIAL cred, int flags);
  [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
  static extern bool CredDelete(string target, int type, int flags);
  [DllImport("advapi32.dll")] static extern void CredFree(IntPtr cred);
  public static string Read(string target) {
    IntPtr p; if (!CredRead(target, 1, 0, out p)) return null;
    try { var c = (CREDENTIAL)Marshal.PtrToStructure(p, typeof(CREDENTIAL));
      var b = new byte[c.CredentialBlobSize]; Marshal.Copy(c.CredentialBlob, b, 0, b.Length);
      return Encoding.UTF8.GetString(b); } finally { CredFree(p); } }
  public static void Write(string target, string user, string value) {
    var b = Encoding.UTF8.GetBytes(value); var c = new CREDENTIAL(); c.Type = 1; c.TargetName = target;
    c.UserName = user; c.Persist = 2; c.CredentialBlobSize = b.Length; c.CredentialBlob = Marshal.AllocHGlobal(b.Length);
    try { Marshal.Copy(b, 0, c.CredentialBlob, b.Length);
      if (!CredWrite(ref c, 0)) throw new Exception("CredWrite failed: " + Marshal.GetLastWin32Error()); }
    finally { Marshal.FreeHGlobal(c.CredentialBlob); } }
  public static bool Delete(string target) { return CredDelete(target, 1, 0); }
}
"@
`;

function b64(value: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(value)));
}

/** The Credential Manager target name for an account. */
export function targetName(account: string): string {
  return `${SERVICE}:${account}`;
}

export function windowsCredentialStore(
  run: CommandRunner,
): SecretStore & { available(): Promise<boolean> } {
  const tool = {
    cmd: "powershell.exe",
    name: "Windows Credential Manager",
    missing: "powershell.exe is missing",
  };
  const script = async (body: string) => {
    const r = await keychainCall(
      run,
      tool,
      ["-NoProfile", "-NonInteractive", "-Command", "-"],
      PRELUDE + body + "\n",
    );
    if (r.code !== 0) {
      throw new KeychainUnavailable(
        `Credential Manager call failed: ${r.stderr.trim().split("\n")[0]}`,
      );
    }
    return r.stdout;
  };
  const arg = (value: string) =>
    `[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${b64(value)}'))`;
  const raw: SecretStore = {
    name: "keychain (Windows Credential Manager)",
    label: "Windows Credential Manager",
    kind: "keychain",
    async get(account) {
      const out = await script(
        `$v = [LmiCred]::Read(${
          arg(targetName(account))
        }); if ($v -ne $null) { 'found:' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($v)) } else { 'missing' }`,
      );
      const line = out.trim();
      if (!line.startsWith("found:")) return undefined;
      return new TextDecoder().decode(Uint8Array.from(atob(line.slice(6)), (c) => c.charCodeAt(0)));
    },
    async set(account, value) {
      await script(`[LmiCred]::Write(${arg(targetName(account))}, ${arg(account)}, ${arg(value)})`);
    },
    async delete(account) {
      return (await script(`[LmiCred]::Delete(${arg(targetName(account))})`)).trim() === "True";
    },
  };
  return {
    ...chunked(raw, WINDOWS_MAX_VALUE_BYTES),
    async available() {
      try {
        await script("'ok'");
        return true;
      } catch {
        return false;
      }
    },
  };
}
