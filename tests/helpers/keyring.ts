/**
 * A private Secret Service: its own D-Bus session bus and an unlocked gnome-keyring, so tests use
 * the real keychain without touching the user's.
 */
import { LINUX, type Needs } from "./components.ts";

/** What the private keyring needs (for ignoreUnless). */
export const NEEDS_SECRET_SERVICE: Needs = {
  os: LINUX,
  why: "the Linux Secret Service (D-Bus and gnome-keyring)",
  commands: ["dbus-daemon", "gnome-keyring-daemon", "secret-tool"],
};

export interface PrivateKeyring {
  /** Variables for processes that should use this keyring. */
  env: Record<string, string>;
  [Symbol.asyncDispose](): Promise<void>;
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  reader.releaseLock();
  return text.split("\n")[0]!.trim();
}

export async function privateKeyring(): Promise<PrivateKeyring> {
  const runtime = await Deno.makeTempDir({ prefix: "lmi-keyring-" });
  // A session bus without service directories: nothing is auto-started on it, so the only
  // Secret Service is the unlocked gnome-keyring started below (a D-Bus-activated one would be
  // locked).
  const config = `${runtime}/bus.conf`;
  await Deno.writeTextFile(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${runtime}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  const bus = new Deno.Command("dbus-daemon", {
    args: [`--config-file=${config}`, "--nofork", "--print-address=1"],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const address = await firstLine(bus.stdout);
  const env = { DBUS_SESSION_BUS_ADDRESS: address, XDG_RUNTIME_DIR: runtime };
  const keyring = new Deno.Command("gnome-keyring-daemon", {
    args: ["--foreground", "--unlock", "--components=secrets"],
    env: { ...env, HOME: runtime },
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const w = keyring.stdin.getWriter();
  await w.write(new TextEncoder().encode("test-keyring-password"));
  await w.close();
  // Wait until the Secret Service answers and its collection is unlocked (a store succeeds).
  for (let i = 0; i < 200; i++) {
    const probe = new Deno.Command("secret-tool", {
      args: ["store", "--label=lmi test probe", "service", "lmi-probe", "account", "probe"],
      env,
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const pw = probe.stdin.getWriter();
    await pw.write(new TextEncoder().encode("probe"));
    await pw.close();
    if ((await probe.status).success) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    env,
    async [Symbol.asyncDispose]() {
      for (const p of [keyring, bus]) {
        try {
          p.kill("SIGTERM");
        } catch { /* gone */ }
        await p.status;
      }
      await bus.stdout.cancel().catch(() => {});
      await Deno.remove(runtime, { recursive: true }).catch(() => {});
    },
  };
}
