/**
 * Running a credential process (`auth.type = "command"`) within the env's timeout, leaving
 * nothing behind when it does not finish.
 *
 * On POSIX the helper starts in a process group of its own (Deno's `detached`, which makes it a
 * new session; Deno has no option for a group alone). When the deadline passes, the whole group
 * is killed (`kill(-pgid)`): the helper and whatever it started, such as a background process
 * that keeps its stdout open, so lmi's read would never end. lmi stops reading at once. A helper
 * that exits while a process it started keeps its stdout open has not finished either.
 *
 * In its own session the helper no longer hears the terminal's Ctrl-C, and has no controlling
 * terminal (/dev/tty); its stdin is closed and its stderr is lmi's, where it can explain. So
 * SIGINT, SIGTERM and SIGHUP that reach lmi while it runs are passed on to its group; what is
 * left of the group a moment later is killed, and lmi ends as interrupted. On Windows: no
 * group; the helper alone is ended at the deadline.
 *
 * @module
 */

/** What became of the helper. */
export type HelperResult =
  | { kind: "exited"; status: Deno.CommandStatus; stdout: Uint8Array }
  | { kind: "timed-out" }
  /** It printed more than `maxOutputBytes`; its group was killed. */
  | { kind: "too-much-output"; limit: number }
  /** It could not be started (a missing program: `Deno.errors.NotFound`). */
  | { kind: "not-started"; error: unknown };

export interface HelperOptions {
  timeoutMs: number;
  os: typeof Deno.build.os;
  /** At most this much of its stdout is kept (default 1 MiB): a token is never near it. */
  maxOutputBytes?: number;
}

const MAX_OUTPUT_BYTES = 1 << 20;

/** How long a helper that was passed a signal may take to end before its group is killed. */
const INTERRUPT_GRACE_MS = 2000;

/**
 * Run `program args`: its stdout, read whole up to a limit, and its exit status, or why not. Throws
 * `Deno.errors.Interrupted` when lmi was interrupted while it ran.
 */
export async function runHelper(
  program: string,
  args: string[],
  options: HelperOptions,
): Promise<HelperResult> {
  const group = options.os !== "windows";
  let child: Deno.ChildProcess | undefined;
  const send = (signal: Deno.Signal) => {
    if (!child) return;
    try {
      if (group) Deno.kill(-child.pid, signal);
      else child.kill(signal);
    } catch { /* the group is gone */ }
  };

  // Listening before the spawn, so no signal can end lmi and leave the helper running; one that
  // comes first is passed on after it.
  const interrupt = Promise.withResolvers<Deno.Signal>();
  let interrupted: Deno.Signal | undefined;
  const signals: Deno.Signal[] = group ? ["SIGINT", "SIGTERM", "SIGHUP"] : ["SIGINT"];
  const handlers = signals.map((signal) => {
    const handler = () => {
      interrupted ??= signal;
      send(signal);
      interrupt.resolve(signal);
    };
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  try {
    try {
      child = new Deno.Command(program, {
        args,
        stdin: "null",
        stdout: "piped",
        stderr: "inherit",
        ...(group ? { detached: true } : {}),
      }).spawn();
    } catch (error) {
      return { kind: "not-started", error };
    }
    if (interrupted) send(interrupted);
    const spawned = child;

    const reader = spawned.stdout.getReader();
    const chunks: Uint8Array[] = [];
    const limit = options.maxOutputBytes ?? MAX_OUTPUT_BYTES;
    let kept = 0;
    const finished = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        kept += value.length;
        if (kept > limit) return "too-much-output" as const;
        chunks.push(value);
      }
      return await spawned.status;
    })();
    const deadline = aborted(AbortSignal.timeout(options.timeoutMs));
    let outcome;
    try {
      outcome = await Promise.race([
        finished.then((status) => ({ kind: "finished" as const, status })),
        deadline.then(() => ({ kind: "deadline" as const })),
        interrupt.promise.then(() => ({ kind: "interrupted" as const })),
      ]);
    } catch (err) {
      send("SIGKILL"); // its stdout could not be read: nothing of it is left running
      throw err;
    }
    if (outcome.kind === "finished" && !interrupted && outcome.status !== "too-much-output") {
      return { kind: "exited", status: outcome.status, stdout: concat(chunks) };
    }
    if (interrupted) {
      await Promise.race([spawned.status, aborted(AbortSignal.timeout(INTERRUPT_GRACE_MS))]);
    }
    send("SIGKILL");
    await reader.cancel().catch(() => {});
    await spawned.status;
    if (interrupted) throw new Deno.errors.Interrupted(`interrupted (${interrupted})`);
    if (outcome.kind === "finished") return { kind: "too-much-output", limit };
    return { kind: "timed-out" };
  } finally {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
