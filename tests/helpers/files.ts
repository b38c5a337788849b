/** Small file-system questions tests ask. */

/** Whether anything (a file, a folder, a link, even a dangling one) is at `path`. */
export function exists(path: string): Promise<boolean> {
  return Deno.lstat(path).then(() => true, () => false);
}

/** The text of the file at `path` once it exists (polled), or an error after `timeoutMs`. */
export async function waitForFile(path: string, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      return await Deno.readTextFile(path);
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${path} never appeared`);
}

/**
 * Another process holding the OS lock on `path` (created 0600 if missing) until `end()` kills
 * it, as a second lmi would; resolves once it holds it.
 */
export async function lockHeldElsewhere(path: string): Promise<{ end(): Promise<void> }> {
  const holder = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const f = await Deno.open(${
        JSON.stringify(path)
      }, { write: true, create: true, mode: 0o600 }); await f.lock(true); console.log("locked"); setInterval(() => {}, 1000);`,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = holder.stdout.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  reader.releaseLock();
  if (first !== "locked\n") throw new Error(`the lock holder said ${JSON.stringify(first)}`);
  return {
    async end() {
      holder.kill("SIGKILL");
      await holder.status;
      await holder.stdout.cancel();
    },
  };
}
