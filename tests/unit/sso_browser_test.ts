import { assertEquals } from "../helpers/assert.ts";
import { browserCommand, noBrowserReason } from "../../src/sso/browser.ts";
import { escapeHtml, pages } from "../../src/sso/loopback.ts";

const deps = (os: typeof Deno.build.os, env: Record<string, string>) => ({
  os,
  env: (n: string) => env[n],
});

Deno.test("where a browser can open, and how", async (t) => {
  await t.step("SSH and display-less Linux have no browser; BROWSER always wins", () => {
    assertEquals(
      noBrowserReason(deps("linux", { SSH_CONNECTION: "1.2.3.4 5 6.7.8.9 22", DISPLAY: ":0" })),
      "no display (SSH session)",
    );
    assertEquals(
      noBrowserReason(deps("linux", {})),
      "no display (DISPLAY/WAYLAND_DISPLAY unset)",
    );
    assertEquals(
      noBrowserReason(deps("linux", { SSH_TTY: "/dev/pts/1" })),
      "no display (DISPLAY/WAYLAND_DISPLAY unset, SSH session)",
    );
    assertEquals(noBrowserReason(deps("linux", { WAYLAND_DISPLAY: "wayland-0" })), undefined);
    assertEquals(noBrowserReason(deps("linux", { WSL_DISTRO_NAME: "Ubuntu" })), undefined);
    assertEquals(noBrowserReason(deps("darwin", {})), undefined);
    assertEquals(noBrowserReason(deps("linux", { BROWSER: "firefox" })), undefined);
  });
  await t.step("the command per platform", () => {
    const url = "https://idp/auth?a=1&b=2";
    assertEquals(browserCommand(deps("linux", { DISPLAY: ":0" }), url), ["xdg-open", [url]]);
    assertEquals(browserCommand(deps("darwin", {}), url), ["open", [url]]);
    assertEquals(browserCommand(deps("windows", {}), url), ["cmd", [
      "/c",
      "start",
      '""',
      "https://idp/auth?a=1^&b=2",
    ]]);
    assertEquals(browserCommand(deps("linux", { WSL_DISTRO_NAME: "Ubuntu" }), url)[0], "cmd.exe");
    assertEquals(browserCommand(deps("linux", { BROWSER: "firefox --new-tab" }), url), ["firefox", [
      "--new-tab",
      url,
    ]]);
  });
  await t.step("the callback pages escape what they show", () => {
    assertEquals(escapeHtml(`<b>"x"</b>`), "&#60;b&#62;&#34;x&#34;&#60;/b&#62;");
    assertEquals(pages.success("<script>").includes("<script>"), false);
  });
});
