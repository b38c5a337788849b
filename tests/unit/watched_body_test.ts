/**
 * Response bodies under the watchdog, read every way the authenticated fetch allows: whole (one
 * native read for a small body of known length, read by read otherwise), as a stream, and piped
 * to a file or stdout with pauses to sample progress. Also the request header map and the alarm
 * timer they rely on. Real timers with short timeouts; no network.
 */
import { assert, assertEquals, assertRejects, assertThrows } from "../helpers/assert.ts";
import { clearAlarm, setAlarm } from "../../src/http/alarms.ts";
import { readWatched, type StallReason, watchStream } from "../../src/http/body.ts";
import { HeaderMap } from "../../src/http/header_map.ts";
import { pipeBody, watchedResponse } from "../../src/http/watched_response.ts";
import type { Output } from "../../src/context.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const fail = (r: StallReason) => new Error(r.kind === "failed" ? `failed: ${r.error}` : r.kind);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A byte stream of `chunks` (with pauses of `gapMs`), then: end, stall, or an error. */
function source(
  chunks: string[],
  then: "end" | "stall" | "fail" = "end",
  gapMs = 0,
): { stream: ReadableStream<Uint8Array>; error(reason: unknown): void; cancelled(): boolean } {
  let i = 0;
  let controller!: ReadableByteStreamController;
  let cancelled = false;
  const stream = new ReadableStream({
    type: "bytes",
    start(c) {
      controller = c;
    },
    async pull(c) {
      if (i < chunks.length) {
        if (gapMs && i > 0) await sleep(gapMs);
        c.enqueue(enc.encode(chunks[i++]!));
        return;
      }
      if (then === "fail") return c.error(new Error("connection reset"));
      if (then === "stall") return new Promise(() => {});
      c.close();
      c.byobRequest?.respond(0);
    },
    cancel() {
      cancelled = true;
    },
  });
  return {
    stream,
    error: (reason) => {
      try {
        controller.error(reason);
      } catch { /* closed */ }
    },
    cancelled: () => cancelled,
  };
}

function response(body: ReadableStream<Uint8Array> | string, length?: number): Response {
  return new Response(body, {
    headers: length === undefined ? {} : { "content-length": String(length) },
  });
}

const failure = (p: Promise<unknown>) => p.then(() => "none", (e: Error) => e.message);

Deno.test("request headers as a plain record", async (t) => {
  await t.step("from any HeadersInit, names lower-cased, checked by Headers", () => {
    const h = HeaderMap.of([["X-A", "1"], ["x-a", "2"]]);
    assertEquals(h.get("x-a"), "1, 2");
    assertEquals(HeaderMap.of(new Headers({ B: "b" })).toRecord(), { b: "b" });
    assertEquals(HeaderMap.of(undefined).toRecord(), {});
    assertThrows(() => HeaderMap.of({ "bad name": "x" }), TypeError);
  });
  await t.step("set trims like Headers and refuses line breaks", () => {
    const h = new HeaderMap();
    h.set("Authorization", "  Bearer x\t");
    assertEquals([h.has("authorization"), h.get("AUTHORIZATION")], [true, "Bearer x"]);
    assertThrows(() => h.set("x-evil", "a\r\nInjected: 1"), TypeError);
    h.delete("authorization");
    assertEquals(h.has("Authorization"), false);
  });
  await t.step("a copy is independent; listed in name order", () => {
    const a = HeaderMap.of({ b: "2", a: "1" });
    const b = new HeaderMap(a);
    b.set("c", "3");
    assertEquals([a.sorted(), b.toRecord()], [[["a", "1"], ["b", "2"]], {
      b: "2",
      a: "1",
      c: "3",
    }]);
  });
});

Deno.test("alarms: many deadlines on one timer", async () => {
  const rung: string[] = [];
  const late = setAlarm(250, () => rung.push("late"));
  setAlarm(10, () => rung.push("early")); // earlier than the armed timer
  const cleared = setAlarm(5, () => rung.push("cleared"));
  clearAlarm(cleared);
  await sleep(120);
  assertEquals(rung, ["early"]);
  await sleep(250);
  assertEquals(rung, ["early", "late"]);
  clearAlarm(late); // already rung: harmless
});

Deno.test("alarms: a timer that rang with nothing pending is replaced by the next alarm", async () => {
  const rung: string[] = [];
  clearAlarm(setAlarm(10, () => rung.push("cleared")));
  await sleep(60); // its timer rings unheard
  setAlarm(20, () => rung.push("next"));
  await sleep(120);
  assertEquals(rung, ["next"]);
});

Deno.test("alarms: a pending deadline keeps the process alive, a cleared one does not", async () => {
  const url = new URL("../../src/http/alarms.ts", import.meta.url).href;
  const run = async (code: string) => {
    const started = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", `import { clearAlarm, setAlarm } from "${url}";\n${code}`],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    return { text: dec.decode(out.stdout), ms: performance.now() - started };
  };
  const pending = await run(`setAlarm(300, () => console.log("rang"));`);
  assertEquals(pending.text, "rang\n");
  assert(pending.ms >= 300, `${pending.ms} ms`);
  const cleared = await run(`clearAlarm(setAlarm(20_000, () => console.log("rang")));`);
  assertEquals(cleared.text, "");
  assert(cleared.ms < 10_000, `${cleared.ms} ms`);
});

Deno.test("a body read whole under the watchdog", async (t) => {
  await t.step("a known length stops when full, without waiting for the end", async () => {
    const s = source(["hello", " world"], "stall");
    const bytes = await readWatched(s.stream, { idleMs: 1000, fail }, 11);
    assertEquals([dec.decode(bytes), s.cancelled()], ["hello world", true]);
  });
  await t.step("an unknown length grows its buffer", async () => {
    const big = "x".repeat(5000);
    const bytes = await readWatched(source([big, "y", big]).stream, { idleMs: 1000, fail });
    assertEquals(bytes.length, 10_001);
  });
  await t.step(
    "a quiet body ends with the idle reason, a broken one with the failure",
    async () => {
      assertEquals(
        await failure(readWatched(source(["a"], "stall").stream, { idleMs: 20, fail })),
        "idle",
      );
      assertEquals(
        await failure(readWatched(source(["a"], "fail").stream, { idleMs: 1000, fail })),
        "failed: Error: connection reset",
      );
    },
  );
  await t.step("a byte stream watched chunk by chunk hands the reader's buffer down", async () => {
    const watched = watchStream(source(["ab", "cd"]).stream, { idleMs: 1000, fail });
    const reader = watched.getReader({ mode: "byob" });
    const first = await reader.read(new Uint8Array(16));
    assertEquals([dec.decode(first.value), first.value!.buffer.byteLength], ["ab", 16]);
    assertEquals(dec.decode((await reader.read(new Uint8Array(16))).value), "cd");
    assertEquals((await reader.read(new Uint8Array(16))).done, true);
  });
});

Deno.test("watched responses", async (t) => {
  await t.step("small, known length: one read; text, json, bytes, arrayBuffer", async () => {
    const make = () => watchedResponse(response('{"a":1}', 7), { idleMs: 1000, fail });
    assertEquals(await make().text(), '{"a":1}');
    assertEquals(await make().json(), { a: 1 });
    assertEquals((await make().bytes()).length, 7);
    assertEquals((await make().arrayBuffer()).byteLength, 7);
    const r = make();
    assert(r instanceof Response);
    await r.text();
    await assertRejects(() => r.text(), TypeError);
  });
  await t.step(
    "small, known length, too slow: the request is ended within the timeout",
    async () => {
      const s = source(["part"], "stall");
      const r = watchedResponse(response(s.stream, 100), {
        idleMs: 30,
        fail,
        abort: (reason) => s.error(reason),
      });
      assertEquals(await failure(r.text()), "deadline");
    },
  );
  await t.step("larger or of unknown length: read by read, each wait timed", async () => {
    const chunk = "z".repeat(40 * 1024);
    const slow = source([chunk, chunk, chunk], "end", 20);
    const r = watchedResponse(response(slow.stream, 120 * 1024), { idleMs: 300, fail });
    assertEquals((await r.text()).length, 120 * 1024, "slow but steady is not a stall");
    const quiet = watchedResponse(response(source(["a"], "stall").stream), { idleMs: 20, fail });
    assertEquals(await failure(quiet.json()), "idle");
  });
  await t.step("body is the watched stream; then the body is used", async () => {
    const r = watchedResponse(response(source(["a"], "stall").stream), { idleMs: 20, fail });
    assert(r.body === r.body);
    assertEquals(await failure(new Response(r.body).text()), "idle");
    await assertRejects(() => r.text(), TypeError);
  });
  await t.step("clone: both read the body", async () => {
    const r = watchedResponse(response(source(["x", "y"]).stream), { idleMs: 1000, fail });
    const copy = r.clone();
    assertEquals([await r.text(), await copy.text()], ["xy", "xy"]);
  });
  await t.step("clone: the copy read first leaves the original readable, as fetch's", async () => {
    const r = watchedResponse(response(source(["x", "y"]).stream), { idleMs: 1000, fail });
    const copy = r.clone();
    assertEquals(await copy.text(), "xy");
    assertEquals([r.bodyUsed, copy.bodyUsed], [false, true]);
    assertEquals(await r.text(), "xy");
    assertEquals(r.bodyUsed, true);
    await assertRejects(() => r.text(), TypeError);
  });
  await t.step(
    "a bodiless status, or a Response of another class, is handled as it is",
    async () => {
      const empty = new Response(null, { status: 204 });
      assert(watchedResponse(empty, { idleMs: 20, fail }) === empty);
      class Other extends Response {}
      const other = watchedResponse(new Other(source(["a"], "stall").stream), { idleMs: 20, fail });
      assert(!(other instanceof Other));
      assertEquals(await failure(other.text()), "idle");
    },
  );
});

/** An output with a writable (as stdout has), collecting what arrives. */
function sink(
  options: { failAfter?: number } = {},
): Output & { text(): string; sampled: number } {
  const chunks: string[] = [];
  let writes = 0;
  let sampled = 0;
  const out = {
    isTerminal: false,
    writable: new WritableStream<Uint8Array>({
      write(chunk) {
        if (options.failAfter !== undefined && ++writes > options.failAfter) {
          throw new Error("broken pipe");
        }
        chunks.push(dec.decode(chunk));
      },
    }),
    /** Bytes read while the pipe was paused come this way. */
    write(chunk: string | Uint8Array) {
      sampled++;
      chunks.push(typeof chunk === "string" ? chunk : dec.decode(chunk));
      return Promise.resolve();
    },
    pipeFrom: () => Promise.reject(new Error("not used when there is a writable")),
    text: () => chunks.join(""),
    get sampled() {
      return sampled;
    },
  };
  return out;
}

Deno.test("a body piped to a file or stdout: paused now and then to see that bytes still come", async (t) => {
  await t.step("slow but steady arrives whole, in order, across pauses", async () => {
    const chunks = Array.from({ length: 12 }, (_, i) => `${i},`);
    const out = sink();
    const r = watchedResponse(response(source(chunks, "end", 25).stream), { idleMs: 200, fail });
    await pipeBody(r, out);
    assertEquals(out.text(), chunks.join(""));
    assert(out.sampled > 0, "the pipe paused and resumed");
    await assertRejects(() => r.text(), TypeError, "consumed");
  });
  await t.step("a body that goes quiet ends with the idle reason", async () => {
    const out = sink();
    const r = watchedResponse(response(source(["partial "], "stall").stream), { idleMs: 30, fail });
    assertEquals(await failure(pipeBody(r, out)), "idle");
    assertEquals(out.text(), "partial ");
  });
  await t.step("a body that breaks off ends with the watch's failure", async () => {
    const r = watchedResponse(response(source(["a"], "fail").stream), { idleMs: 1000, fail });
    assertEquals(await failure(pipeBody(r, sink())), "failed: Error: connection reset");
  });
  await t.step("a destination that fails: its own error; the body is cancelled", async () => {
    const s = source(["a", "b", "c"], "stall");
    const r = watchedResponse(response(s.stream), { idleMs: 1000, fail });
    assertEquals(await failure(pipeBody(r, sink({ failAfter: 1 }))), "broken pipe");
    assert(s.cancelled());
  });
  await t.step("an output without a writable gets the watched stream", async () => {
    const got: string[] = [];
    const out: Output = {
      isTerminal: false,
      write: () => Promise.resolve(),
      async pipeFrom(stream) {
        for await (const chunk of stream) got.push(dec.decode(chunk));
      },
    };
    await pipeBody(
      watchedResponse(response(source(["a", "b"]).stream), { idleMs: 1000, fail }),
      out,
    );
    assertEquals(got.join(""), "ab");
  });
});
