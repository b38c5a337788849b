import { assert, assertEquals, assertMatch, assertRejects } from "../helpers/assert.ts";
import { join } from "../../src/util/path.ts";
import { FailedError } from "../../src/errors.ts";
import { acquireLock } from "../../src/tokens/lock.ts";
import { lockHeldElsewhere } from "../helpers/files.ts";

Deno.test("the cross-process lock", async (t) => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "dev.lock");

  await t.step(
    "in this process, a second taker waits silently and gets it after release",
    async () => {
      const first = await acquireLock(path, { what: "test" });
      let noticed = false;
      let got = false;
      const second = acquireLock(path, {
        what: "test",
        noticeAfterMs: 50,
        onWait: () => noticed = true,
      }).then((l) => {
        got = true;
        return l;
      });
      await new Promise((r) => setTimeout(r, 150));
      assert(!got, "it waits for the first");
      assert(!noticed, "no notice for a wait inside this process");
      first.release();
      (await second).release();
      (await acquireLock(path, { what: "test", timeoutMs: 1000 })).release();
    },
  );

  await t.step("the lock says whether someone else held it when asked", async () => {
    const first = await acquireLock(path, { what: "test" });
    assert(!first.waited, "it was free");
    const second = acquireLock(path, { what: "test" });
    first.release();
    const got = await second;
    assert(got.waited, "it waited for the first");
    got.release();
  });

  await t.step("waiting is bounded", async () => {
    const held = await acquireLock(path, { what: "test" });
    const err = await assertRejects(
      () => acquireLock(path, { what: "getting a token", timeoutMs: 200 }),
      FailedError,
    );
    assertEquals(err.exitCode, 1);
    assertMatch(err.message, /waiting for another lmi process \(getting a token\)/);
    held.release();
  });

  await t.step(
    "another process holds it: the wait is announced and bounded; killed, the OS releases it",
    async () => {
      const holder = await lockHeldElsewhere(path);
      let noticed = false;
      await assertRejects(
        () =>
          acquireLock(path, {
            what: "test",
            timeoutMs: 300,
            noticeAfterMs: 50,
            onWait: () => noticed = true,
          }),
        FailedError,
      );
      assert(noticed, "waiting on another process is announced");
      // noticeAfterMs 0: announced as soon as the lock is found held, before any wait.
      let said = 0;
      const quick = acquireLock(path, {
        what: "test",
        timeoutMs: 300,
        noticeAfterMs: 0,
        onWait: () => said++,
      }).catch(() => undefined);
      await quick;
      assertEquals(said, 1, "said once (no timed check: a loaded machine may take its time)");
      await holder.end();
      const after = await acquireLock(path, { what: "test", timeoutMs: 5000 });
      assert(!after.waited, "the OS released it");
      after.release();
      assert(await Deno.stat(path), "the lock file is left in place, never deleted");
    },
  );

  await Deno.remove(dir, { recursive: true });
});
