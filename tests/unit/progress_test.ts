/** Progress while waiting for a sign-in: animated on a terminal, plain lines otherwise. */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { fakeDeps, testLogger } from "../helpers/fakes.ts";
import { showWaiting } from "../../src/ui/progress.ts";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const terminal of [false, true]) {
  Deno.test(`waiting progress, stderr ${terminal ? "a terminal" : "not a terminal"}`, async () => {
    const deps = fakeDeps();
    const log = testLogger(deps);
    const { stop } = showWaiting({
      log,
      now: deps.now,
      terminal,
      deadline: deps.now() + 300_000,
      what: "waiting for the sign-in",
      everyMs: { terminal: 5, plain: 5 },
    });
    await tick(40);
    deps.clock.now += 120_000;
    await tick(20);
    stop();
    await log.flush();
    const text = deps.stderr.text();
    if (terminal) {
      assert(text.startsWith("\r\x1b[2Kwaiting for the sign-in… 5m00s left"), text);
      assert(text.includes("\r\x1b[2Kwaiting for the sign-in… 3m00s left"), text);
      assert(text.endsWith("\r\x1b[2K"), "the animated line is cleared");
    } else {
      assert(!text.includes("\r") && !text.includes("\x1b"), "no animation");
      const lines = text.trimEnd().split("\n");
      assert(lines.length >= 2);
      assertEquals(lines[0], "lmi: still waiting for the sign-in… 5m00s left");
      assertEquals(lines.at(-1), "lmi: still waiting for the sign-in… 3m00s left");
    }
  });
}

Deno.test("a wait interrupted on a terminal ends its line, then the run (exit 130)", async () => {
  const deps = fakeDeps();
  const log = testLogger(deps);
  const waiting = showWaiting({
    log,
    now: deps.now,
    terminal: true,
    deadline: deps.now() + 300_000,
    what: "waiting for the sign-in",
    everyMs: { terminal: 5, plain: 5 },
    onInterrupt: deps.onInterrupt,
  });
  await tick(20);
  assert(deps.interrupt(), "the wait listens for Ctrl-C");
  await assertRejects(() => waiting.interrupted, Deno.errors.Interrupted);
  assert(waiting.signal.aborted, "requests the wait makes are aborted");
  await tick(20);
  waiting.stop();
  await log.flush();
  const text = deps.stderr.text();
  assert(text.endsWith("waiting for the sign-in… 5m00s left\n"), JSON.stringify(text));
  assertEquals(deps.interrupt(), false, "no longer listening");
});

Deno.test("a wait on a plain stderr leaves Ctrl-C to its default", () => {
  const deps = fakeDeps();
  const waiting = showWaiting({
    log: testLogger(deps),
    now: deps.now,
    terminal: false,
    deadline: deps.now() + 300_000,
    what: "waiting for the sign-in",
    onInterrupt: deps.onInterrupt,
  });
  assertEquals(deps.interrupt(), false);
  waiting.stop();
});
