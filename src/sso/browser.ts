/**
 * Opening the system browser, and knowing when it cannot be opened: `BROWSER` first, else
 * `xdg-open` / `open` / `start`; under WSL the Windows browser. Over SSH, or on Linux without a
 * display, there is no browser to open.
 *
 * @module
 */
import type { Deps } from "../context.ts";

export type BrowserDeps = Pick<Deps, "env" | "os">;

export function isWsl(deps: BrowserDeps): boolean {
  return deps.os === "linux" &&
    (deps.env("WSL_DISTRO_NAME") !== undefined || deps.env("WSL_INTEROP") !== undefined);
}

/**
 * Why no browser can be opened here, or undefined when one can: `no display (DISPLAY/
 * WAYLAND_DISPLAY unset, SSH session)`, naming each thing that says so.
 */
export function noBrowserReason(deps: BrowserDeps): string | undefined {
  if (deps.env("BROWSER")) return undefined;
  const why: string[] = [];
  if (deps.os === "linux" && !isWsl(deps) && !deps.env("DISPLAY") && !deps.env("WAYLAND_DISPLAY")) {
    why.push("DISPLAY/WAYLAND_DISPLAY unset");
  }
  if (deps.env("SSH_CONNECTION") || deps.env("SSH_TTY")) why.push("SSH session");
  return why.length > 0 ? `no display (${why.join(", ")})` : undefined;
}

/** The command that opens `url`. */
export function browserCommand(deps: BrowserDeps, url: string): [string, string[]] {
  const browser = deps.env("BROWSER");
  if (browser) {
    const [cmd, ...args] = browser.split(":")[0]!.split(" ").filter(Boolean);
    return [cmd!, [...args, url]];
  }
  if (isWsl(deps)) return ["cmd.exe", ["/c", "start", '""', url.replace(/&/g, "^&")]];
  switch (deps.os) {
    case "darwin":
      return ["open", [url]];
    case "windows":
      return ["cmd", ["/c", "start", '""', url.replace(/&/g, "^&")]];
    default:
      return ["xdg-open", [url]];
  }
}

/** Start the browser (without waiting for it). False when it could not be started. */
export function openBrowser(deps: BrowserDeps, url: string): boolean {
  const [cmd, args] = browserCommand(deps, url);
  try {
    const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "null" })
      .spawn();
    child.unref();
    child.status.catch(() => {});
    return true;
  } catch {
    return false;
  }
}
