/**
 * Many deadlines on one timer. Every API request has a timeout and every wait for its body a
 * watchdog; arming and clearing a timer for each costs several microseconds, a noticeable part
 * of a request on a fast network. Here a deadline is one Set entry, and one timer rings for the
 * earliest: it is re-armed only when it rings (or when an earlier deadline comes), and keeps the
 * process alive only while some deadline is pending, like a timer of its own would.
 *
 * The timer is `AbortSignal.timeout`, not `setTimeout`: in Deno 2.9 the first use of the global
 * `setTimeout` loads its Node-compatible timers (`node:timers` and about 20 modules of Deno's Node
 * layer), some 10 ms of every `lmi request`. Such a signal's timer keeps the process alive only
 * while the signal has an abort listener; one that is replaced loses its listener and rings
 * unheard.
 *
 * @module
 */

/** A pending deadline; pass it to {@link clearAlarm} once what it guards is done. */
export interface Alarm {
  /** When it rings, in `performance.now()` time. */
  readonly at: number;
  readonly ring: () => void;
}

const pending = new Set<Alarm>();
let timer: AbortSignal | undefined;
/** When `timer` rings (Infinity: no timer). */
let timerAt = Infinity;
/** Whether `timer` keeps the process alive. */
let refed = false;

/** Call `ring` in `ms` milliseconds, unless the alarm is cleared first. */
export function setAlarm(ms: number, ring: () => void): Alarm {
  const alarm: Alarm = { at: performance.now() + ms, ring };
  pending.add(alarm);
  // A timer that rang while nothing was pending (and nothing listened) is as good as none.
  if (alarm.at < timerAt || timer?.aborted) arm(alarm.at);
  else if (!refed) ref(true);
  return alarm;
}

/** Forget an alarm (rung or not). */
export function clearAlarm(alarm: Alarm | undefined): void {
  if (alarm && pending.delete(alarm) && pending.size === 0 && refed) ref(false);
}

function arm(at: number): void {
  if (timer !== undefined && refed) timer.removeEventListener("abort", check);
  timerAt = at;
  const delay = Math.ceil(at - performance.now());
  // At most 2^31 - 1 ms: a longer AbortSignal.timeout fires at once. An alarm further off than
  // that (none today: timeouts are at most a day) finds its deadline not reached and re-arms.
  timer = AbortSignal.timeout(delay > 0 ? Math.min(delay, 2 ** 31 - 1) : 0);
  timer.addEventListener("abort", check); // which also keeps the process alive
  refed = true;
}

function ref(on: boolean): void {
  if (timer === undefined) return;
  refed = on;
  if (on) timer.addEventListener("abort", check);
  else timer.removeEventListener("abort", check);
}

function check(event: Event): void {
  if (event.target !== timer) return; // replaced: an earlier deadline came
  timer = undefined;
  timerAt = Infinity;
  refed = false;
  const now = performance.now();
  const due: Alarm[] = [];
  let next = Infinity;
  for (const alarm of pending) {
    if (alarm.at <= now) due.push(alarm);
    else if (alarm.at < next) next = alarm.at;
  }
  for (const alarm of due) pending.delete(alarm);
  if (next !== Infinity) arm(next);
  for (const alarm of due) alarm.ring();
}
