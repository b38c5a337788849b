/**
 * Whose turn it is to sign in: one sign-in at a time per SSO session (its store account), across
 * processes. The first lmi that needs one takes the session's sign-in lock (a file beside the
 * token cache's locks) and runs it; the others say once that they wait, wait (bounded), and then
 * use the session it stored. When it ended without one (failed, cancelled, killed), the lmi that
 * holds the lock next takes over once; the rest give up (exit 4) when that takeover ends without
 * one too, or when a person declined the sign-in they waited for: a crowd of waiters (a kubectl
 * GUI's parallel calls) never opens one browser after another.
 *
 * Each sign-in writes what it is (`takeover`, later `declined`) to a record beside the lock when
 * it takes its turn; the next holder reads it.
 *
 * @module
 */
import { tokenDir } from "../config/paths.ts";
import { formatDuration } from "../config/duration.ts";
import { AuthError, LmiError } from "../errors.ts";
import { acquireLock, type HeldLock } from "../tokens/lock.ts";
import { ensurePrivateDir, readPrivateFile, writeFileAtomic } from "../tokens/files.ts";
import { sha256Hex } from "../util/sha256.ts";
import { join } from "../util/path.ts";
import type { SsoContext } from "./sso.ts";

/** What the sign-in holding the turn wrote for the next holder. */
interface TurnRecord {
  /** It took over from a sign-in that ended without a session. */
  takeover: boolean;
  /** The person declined it. */
  declined?: boolean;
}

export interface SignInTurn {
  /** Another sign-in held the turn when this one asked for it: this one waited. */
  readonly waited: boolean;
  /** Say that this turn starts a sign-in of its own. */
  begin(): Promise<void>;
  /**
   * This turn waited for a sign-in that ended without a session: take over from it, or throw
   * (exit 4) when a person declined it or when it had taken over itself.
   */
  takeOver(): Promise<void>;
  /** The person declined this turn's sign-in: those waiting for it give up instead of asking. */
  declined(): Promise<void>;
  release(): void;
}

/** The lock and record files of the session stored under `account`. */
export function signInFiles(dir: string, account: string): { lock: string; record: string } {
  const base = join(dir, `sso-sign-in-${sha256Hex(account).slice(0, 16)}`);
  return { lock: `${base}.lock`, record: `${base}.json` };
}

export const WAITING_NOTICE = "lmi: waiting for the sign-in another lmi started…";

/**
 * Take the turn to sign in to the session stored under `account`: at once when it is free, else
 * after the sign-in under way (said once on stderr), waiting at most `timeoutMs`. `login`: the
 * command that signs in to it, for the errors' hints (`lmi login sso lab`).
 */
export async function takeSignInTurn(
  ctx: SsoContext,
  account: string,
  timeoutMs: number,
  login: string,
): Promise<SignInTurn> {
  const dir = tokenDir(ctx.deps);
  if (!dir) return withoutLock;
  const files = signInFiles(dir, account);
  let lock: HeldLock;
  try {
    await ensurePrivateDir(dir);
    lock = await acquireLock(files.lock, {
      what: "an SSO sign-in is in progress",
      timeoutMs,
      noticeAfterMs: 0,
      onWait: () => ctx.log.say(WAITING_NOTICE),
    });
  } catch (err) {
    if (err instanceof LmiError && err.code === "LOCK_TIMEOUT") {
      throw new AuthError(
        "SIGN_IN_BUSY",
        `gave up after ${formatDuration(timeoutMs)} waiting for the sign-in another lmi started`,
        { hint: `finish or cancel that sign-in, then run ${login}`, cause: err },
      );
    }
    if (err instanceof LmiError) throw err;
    ctx.log.warnOnce(
      "sso-sign-in-lock",
      `cannot lock the SSO sign-in (${err instanceof Error ? err.message : err}); going on without`,
    );
    return withoutLock;
  }
  const write = async (record: TurnRecord) => {
    try {
      await writeFileAtomic(files.record, JSON.stringify(record) + "\n");
    } catch (err) {
      ctx.log.info(`cannot record the SSO sign-in in ${files.record}: ${err}`);
    }
  };
  let takeover = false;
  return {
    waited: lock.waited,
    begin: () => write({ takeover: false }),
    async takeOver() {
      const before = await readRecord(files.record);
      if (before?.declined) {
        throw new AuthError(
          "SSO_REQUIRED",
          `the sign-in another lmi offered was declined: run \`${login}\``,
          { hint: `sign in with ${login}` },
        );
      }
      if (before?.takeover) {
        throw new AuthError(
          "SSO_REQUIRED",
          `the sign-in another lmi started ended without a session: run \`${login}\``,
          {
            hint:
              `two sign-ins in a row failed or were cancelled; sign in with ${login}, which says why`,
          },
        );
      }
      takeover = true;
      ctx.log.say("The sign-in another lmi started ended without a session; signing in here");
      await write({ takeover });
    },
    declined: () => write({ takeover, declined: true }),
    release: () => lock.release(),
  };
}

/** Without a cache folder, or when the lock cannot be made: no turns (said once). */
const withoutLock: SignInTurn = {
  waited: false,
  begin: () => Promise.resolve(),
  takeOver: () => Promise.resolve(),
  declined: () => Promise.resolve(),
  release: () => {},
};

async function readRecord(path: string): Promise<TurnRecord | undefined> {
  const read = await readPrivateFile(path);
  if (read.state !== "ok") return undefined;
  try {
    const record = JSON.parse(read.text) as Partial<TurnRecord> | null;
    return typeof record?.takeover === "boolean"
      ? { ...record, takeover: record.takeover } as TurnRecord
      : undefined;
  } catch {
    return undefined;
  }
}
