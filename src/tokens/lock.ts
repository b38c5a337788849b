/**
 * A cross-process lock: an OS file lock (flock / LockFileEx) on a separate `<env>.lock` file.
 * The OS releases it when the holder exits, however it exits, so no stale lock is ever deleted
 * by hand. Waiting is bounded and reported.
 *
 * @module
 */
import { FailedError } from "../errors.ts";
import { distrust, UnsafePathError } from "./files.ts";
import { formatDuration } from "../config/duration.ts";

export interface LockOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /**
   * Called once if another process holds the lock and it is not free after `noticeAfterMs`
   * (default 1 s; 0: as soon as it is found held).
   */
  onWait?: () => void;
  noticeAfterMs?: number;
  /** What the holder is doing, for the timeout message. */
  what: string;
}

export interface HeldLock {
  /** Someone else (another process, or an earlier caller in this one) held it when asked. */
  readonly waited: boolean;
  release(): void;
  [Symbol.dispose](): void;
}

/**
 * Open the lock file without following a link: created new (O_EXCL, which never follows one),
 * or, when it exists, used only if it is this user's private regular file.
 */
async function openLockFile(path: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path, { read: true, write: true, createNew: true, mode: 0o600 });
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  }
  const why = distrust(await Deno.lstat(path), "file");
  if (why) throw new UnsafePathError(`refusing to lock ${path}: ${why}`);
  return await Deno.open(path, { read: true, write: true });
}

/** Callers in this process queue here before taking the OS lock: they wait without a notice. */
const inProcess = new Map<string, Promise<void>>();

/**
 * Wait (at most `timeoutMs`) for this process's earlier holders of `path`; the returned function
 * lets the next one in.
 */
async function queueInProcess(
  path: string,
  timeoutMs: number,
  what: string,
): Promise<{ next: () => void; waited: boolean }> {
  const earlier = inProcess.get(path);
  const before = earlier ?? Promise.resolve();
  let done: (() => void) | undefined;
  let abandoned = false;
  const mine = before.then(() =>
    new Promise<void>((resolve) => {
      done = resolve;
      if (abandoned) resolve();
    })
  );
  inProcess.set(path, mine);
  const release = () => {
    abandoned = true;
    done?.();
    if (inProcess.get(path) === mine) inProcess.delete(path);
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    if (await Promise.race([before.then(() => "turn" as const), timedOut]) === "timeout") {
      release();
      throw lockTimeout(path, timeoutMs, what);
    }
  } finally {
    clearTimeout(timer);
  }
  return { next: release, waited: earlier !== undefined };
}

function lockTimeout(path: string, timeoutMs: number, what: string): FailedError {
  return new FailedError(
    "LOCK_TIMEOUT",
    `gave up after ${formatDuration(timeoutMs)} waiting for another lmi process (${what})`,
    { hint: `another lmi still holds ${path}; if it hangs, stop it (it may wait on an IdP)` },
  );
}

/**
 * Take an exclusive lock on `path` (created 0600 if needed). Callers in the same process take
 * turns first, silently; `onWait` is for waiting on another process.
 */
export async function acquireLock(path: string, options: LockOptions): Promise<HeldLock> {
  const { next, waited } = await queueInProcess(path, options.timeoutMs ?? 60_000, options.what);
  try {
    return withRelease(await acquireOsLock(path, options), next, waited);
  } catch (err) {
    next();
    throw err;
  }
}

function withRelease(lock: HeldLock, after: () => void, waitedHere: boolean): HeldLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    try {
      lock.release();
    } finally {
      after();
    }
  };
  return { waited: waitedHere || lock.waited, release, [Symbol.dispose]: release };
}

async function acquireOsLock(path: string, options: LockOptions): Promise<HeldLock> {
  const { timeoutMs = 60_000, noticeAfterMs = 1_000, onWait, what } = options;
  const file = await openLockFile(path);
  let notice: ReturnType<typeof setTimeout> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let waited = false;
  try {
    if (!await file.tryLock(true)) {
      waited = true;
      if (onWait && noticeAfterMs <= 0) onWait();
      else if (onWait) notice = setTimeout(onWait, noticeAfterMs);
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), timeoutMs);
      });
      const result = await Promise.race([file.lock(true).then(() => "locked" as const), timedOut]);
      if (result === "timeout") throw lockTimeout(path, timeoutMs, what);
    }
  } catch (err) {
    try {
      file.close();
    } catch { /* already closed */ }
    throw err;
  } finally {
    clearTimeout(notice);
    clearTimeout(timer);
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    try {
      file.unlockSync();
    } finally {
      file.close();
    }
  };
  return { waited, release, [Symbol.dispose]: release };
}
